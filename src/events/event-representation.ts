// How a stored event is shown to clients: the envelope as sent, plus what the server adds.
import { confidenceOf, type Confidence } from '../catalogue/confidence.js';
import type { Source } from '../catalogue/primitives.js';
import { envelopeOf, formatInstant } from '../catalogue/stored-event.js';
import type { StoredEvent } from '../event-store/event-store.js';

export interface EventRepresentation {
  id: string;
  type: string;
  position: number;
  occurredAt: string;
  reportedAt: string;
  recordedAt: string;
  recordedBy: string;
  sources: Source[];
  data: unknown;
  confidence: Confidence;
  retracted: boolean;
  retractedBy?: string;
  addedSources?: { eventId: string; source: Source }[];
  /** Disputes standing against this report (retracted ones left out). */
  disputes?: { eventId: string; by?: string; reason: string; reportedAt: string }[];
}

/**
 * @param corrections the SourceAdded / ReportRetracted events about this one, in position order
 * (retracted corroborations already left out by the caller)
 */
export function represent(e: StoredEvent, corrections: StoredEvent[] = []): EventRepresentation {
  const added = corrections.filter((c) => c.type === 'SourceAdded').map((c) => ({ eventId: c.id, source: (c.data as { source: Source }).source }));
  const retraction = corrections.find((c) => c.type === 'ReportRetracted');
  const disputes = corrections
    .filter((c) => c.type === 'ReportDisputed')
    .map((c) => {
      const d = c.data as { by?: string; reason: string };
      return { eventId: c.id, ...(d.by ? { by: d.by } : {}), reason: d.reason, reportedAt: formatInstant(c.reportedAt, c.reportedIsDay) };
    });
  return {
    ...envelopeOf(e),
    confidence: disputes.length ? 'disputed' : confidenceOf([...(e.sources as Source[]), ...added.map((a) => a.source)]),
    retracted: Boolean(retraction),
    ...(retraction ? { retractedBy: retraction.id } : {}),
    ...(added.length ? { addedSources: added } : {}),
    ...(disputes.length ? { disputes } : {}),
  };
}
