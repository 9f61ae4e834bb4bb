// Timeline (owns: every development in occurrence order). One document per event, sorted by
// when it occurred; corrections update the entry of the event they are about.
import { assertNever, type DomainEvent, type NewsEvent } from '../../catalogue/news-event.js';
import { issuesTouchedBy } from '../../catalogue/primitives.js';
import { corrected, evidenceOf, evidenceUpdate, underlyingTarget, type Evidence } from '../evidence.js';
import type { Changes, DocReader, Projection } from '../projection.js';
import { actorsOf } from '../positions/positions.fold.js';

export interface TimelineDoc {
  ev: Evidence;
  type: string;
  occurredAt: string;
  reportedAt: string;
  actors: string[];
  issues: string[];
  summary: string;
}

export function issuesOf(event: DomainEvent): string[] {
  switch (event.type) {
    case 'StatementIssued':
    case 'PositionClaimed':
      return [...new Set(event.data.stances.map((s) => s.issue))];
    case 'MeetingHeld':
      return event.data.topics ?? [];
    case 'PressureApplied':
      return [event.data.issue];
    case 'ProposalMade':
    case 'AgreementReached':
      return issuesTouchedBy(event.data.terms);
    case 'ProposalResponded':
    case 'CeasefireStarted':
    case 'CeasefireEnded':
    case 'DetaineesReleased':
      return [];
    default:
      return assertNever(event);
  }
}

export function evolveTimeline(docs: DocReader<TimelineDoc>, event: NewsEvent): Changes<TimelineDoc> {
  const correction = evidenceUpdate(event);
  if (correction) return corrected(docs, [underlyingTarget(event)!.id], correction);
  const e = event as DomainEvent;
  return new Map([[e.id, { ev: evidenceOf(e), type: e.type, occurredAt: e.occurredAt, reportedAt: e.reportedAt, actors: actorsOf(e), issues: issuesOf(e), summary: e.data.summary }]]);
}

/** Sorts by occurrence, then position: fixed-width so that text order is time order. */
export function timelineSortKey(doc: TimelineDoc): string {
  return `${String(doc.ev.stamp.occurred + 1e15).padStart(17, '0')}:${String(doc.ev.stamp.position).padStart(20, '0')}`;
}

export const timelineProjection: Projection<TimelineDoc> = {
  name: 'timeline',
  version: 3,
  reads: (event) => {
    const target = underlyingTarget(event);
    return target ? [target.id] : [];
  },
  evolve: evolveTimeline,
  sortKey: (_key, doc) => timelineSortKey(doc),
};
