import type { Confidence } from '../../catalogue/confidence.js';
import type { Source } from '../../catalogue/primitives.js';
import { confidenceIn, counts, sourcesInView, type View } from '../evidence.js';
import type { TimelineDoc } from './timeline.fold.js';

export interface TimelineEntry {
  eventId: string;
  type: string;
  occurredAt: string;
  reportedAt: string;
  position: number;
  actors: string[];
  issues: string[];
  summary: string;
  format?: 'direct' | 'indirect';
  confidence: Confidence;
  sources: Source[];
}

export interface TimelineFilter {
  actor?: string;
  issue?: string;
  /** Inclusive bounds on occurrence, epoch ms. */
  from?: number;
  to?: number;
}

/** null when the entry does not count in this view or does not match the filter. */
export function viewTimelineEntry(doc: TimelineDoc, view: View, filter: TimelineFilter = {}): TimelineEntry | null {
  if (!counts(doc.ev, view)) return null;
  if (filter.actor && !doc.actors.includes(filter.actor)) return null;
  if (filter.issue && !doc.issues.includes(filter.issue)) return null;
  if (filter.from !== undefined && doc.ev.stamp.occurred < filter.from) return null;
  if (filter.to !== undefined && doc.ev.stamp.occurred > filter.to) return null;
  return {
    eventId: doc.ev.id,
    type: doc.type,
    occurredAt: doc.occurredAt,
    reportedAt: doc.reportedAt,
    position: doc.ev.stamp.position,
    actors: doc.actors,
    issues: doc.issues,
    summary: doc.summary,
    ...(doc.format ? { format: doc.format } : {}),
    confidence: confidenceIn(doc.ev, view),
    sources: sourcesInView(doc.ev, view),
  };
}
