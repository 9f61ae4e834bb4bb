// Turns envelopes into the typed events the folds take, with no server and no database:
// positions in the given (arrival) order, corrections linked to the events they are about.
import { randomUUID } from 'node:crypto';
import { parseEnvelope, type Envelope } from '../../src/catalogue/catalogue.js';
import type { NewsEvent } from '../../src/catalogue/news-event.js';
import { isCalendarDay, occurrenceClocks, startOf } from '../../src/catalogue/primitives.js';
import type { StoredEvent } from '../../src/event-store/event-store.js';
import { toNewsEvent } from '../../src/catalogue/stored-event.js';

export function stored(envelopes: unknown[], recordedAt = new Date('2024-01-01T00:00:00Z')): StoredEvent[] {
  return envelopes.map((input, i) => {
    const parsed = parseEnvelope(input);
    if (!parsed.ok) throw new Error(`invalid test event ${i}: ${JSON.stringify(parsed.errors)}`);
    const e: Envelope = parsed.envelope;
    const reportedAt = e.reportedAt ?? recordedAt.toISOString();
    return {
      id: e.id ?? randomUUID(),
      type: e.type,
      position: (i + 1) * 10,
      ...occurrenceClocks(e.occurredAt),
      reportedAt: new Date(startOf(reportedAt)),
      reportedIsDay: isCalendarDay(reportedAt),
      recordedAt,
      recordedBy: 'test',
      data: e.data,
      sources: e.sources,
      metadata: {},
      fingerprint: '',
    };
  });
}

export function newsEvents(envelopes: unknown[]): NewsEvent[] {
  const events = stored(envelopes);
  const byId = new Map(events.map((e) => [e.id, e]));
  return events.map((e) => toNewsEvent(e, (id) => byId.get(id)));
}
