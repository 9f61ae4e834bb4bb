// A stored event as the news sees it (owns: its display form — the envelope as sent, clocks
// formatted — and the typed NewsEvent the folds receive, a correction with the event it is
// about). Imports only the event store's types, nothing of Nest or TypeORM.
import type { StoredEnvelope } from '../event-store/event-store.js';
import { correctionTarget } from './catalogue.js';
import type { NewsEvent } from './news-event.js';
import type { Source } from './primitives.js';

/** A day stays a day (`2023-12-19`); an instant is shown in UTC. */
export function formatInstant(at: Date, isDay: boolean): string {
  return isDay ? at.toISOString().slice(0, 10) : at.toISOString();
}

/** The envelope as sent, with the clocks formatted and what the server added. */
export function envelopeOf(e: StoredEnvelope) {
  return {
    id: e.id,
    type: e.type,
    position: e.position,
    occurredAt: e.occurredText ?? formatInstant(e.occurredAt, e.occurredIsDay),
    reportedAt: formatInstant(e.reportedAt, e.reportedIsDay),
    recordedAt: e.recordedAt.toISOString(),
    recordedBy: e.recordedBy,
    sources: e.sources as Source[],
    data: e.data,
  };
}

/**
 * The typed event the folds take, with the event a correction is about attached from `lookup`
 * (two levels: a retracted corroboration needs the event it corroborated).
 */
export function toNewsEvent(e: StoredEnvelope, lookup: (id: string) => StoredEnvelope | undefined): NewsEvent {
  // Filled in place, not spread into a new object: a rebuild builds one per event.
  const news = Object.assign(envelopeOf(e), { stamp: { occurred: e.occurredAt.getTime(), reported: e.reportedAt.getTime(), position: e.position } });
  const targetId = correctionTarget(e);
  if (!targetId) return news as NewsEvent;
  const target = lookup(targetId);
  if (!target) throw new Error(`event ${e.id} refers to ${targetId}, which is not in the log`);
  return Object.assign(news, { target: toNewsEvent(target, lookup) }) as NewsEvent;
}
