// The specification of every read model, in memory: fold the events, then cut the view. The
// persisted projections and their SQL prefilters must answer exactly what this answers.
import type { NewsEvent } from '../../src/catalogue/news-event.js';
import type { StoredEvent } from '../../src/event-store/event-store.js';
import { NOW, type View } from '../../src/projections/evidence.js';
import { replay } from '../../src/projections/projection.js';
import { actorOfKey, positionsProjection, type ActorEntry } from '../../src/projections/positions/positions.fold.js';
import { viewActor } from '../../src/projections/positions/positions.view.js';
import { toNewsEvent } from '../../src/catalogue/stored-event.js';
import { proposalsProjection, type ProposalDoc } from '../../src/projections/proposals/proposals.fold.js';
import { viewProposal, type ProposalView } from '../../src/projections/proposals/proposals.view.js';
import { statusProjection, viewCeasefire, viewStatus, type StatusDoc } from '../../src/projections/status/status.fold.js';
import { agreementsProjection, type AgreementDoc } from '../../src/projections/agreements/agreements.fold.js';
import { viewAgreement, type AgreementView } from '../../src/projections/agreements/agreements.view.js';
import { isEntryKey, timelineProjection, timelineSortKey, type TimelineDoc } from '../../src/projections/timeline/timeline.fold.js';
import { viewTimelineEntry, type TimelineEntry } from '../../src/projections/timeline/timeline.view.js';

export const ROLES = new Map([['israel', 'party'], ['hamas', 'party'], ['egypt', 'mediator'], ['qatar', 'mediator'], ['us', 'mediator']]);
export const NAMES = new Map([['israel', 'Israel'], ['hamas', 'Hamas'], ['egypt', 'Egypt'], ['qatar', 'Qatar'], ['us', 'United States']]);

export function toNews(events: StoredEvent[], all: StoredEvent[] = events): NewsEvent[] {
  const byId = new Map(all.map((e) => [e.id, e]));
  return events.map((e) => toNewsEvent(e, (id) => byId.get(id)));
}

/** Only what occurred by asOf and was reported by knownAt, in occurrence order. */
export function filtered(events: StoredEvent[], view: View): StoredEvent[] {
  return events
    .filter((e) => e.occurredAt.getTime() <= view.asOf && e.reportedAt.getTime() <= view.knownAt)
    .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.position - b.position);
}

export interface Answers {
  positions: ReturnType<typeof viewActor>[];
  proposals: ProposalView[];
  timeline: TimelineEntry[];
  status: ReturnType<typeof viewStatus>;
  agreements: AgreementView[];
}

export function answers(events: NewsEvent[], view: View = NOW, actors = [...ROLES.keys()], lists: { limit?: number; withTotals?: boolean } = {}): Answers {
  const positions = replay(positionsProjection, events);
  const proposals = replay(proposalsProjection, events) as Map<string, ProposalDoc>;
  const timeline = replay(timelineProjection, events);
  const status = replay(statusProjection, events) as Map<string, StatusDoc>;
  const agreementDocs = replay(agreementsProjection, events) as Map<string, AgreementDoc>;
  const status_ = (id: string) => viewProposal(proposals.get(id), view)?.status ?? null;
  const ceasefire = viewCeasefire([...status.values()], view);
  const agreementStatus = (id: string) => viewAgreement(agreementDocs.get(id), view, ceasefire)?.status ?? null;
  return {
    positions: actors.map((a) => {
      const entries = entriesIn(positions, a);
      return viewActor({ slug: a, name: NAMES.get(a) ?? a, role: (ROLES.get(a) ?? 'party') as 'party' | 'mediator' }, entries, view, ROLES, status_, agreementStatus, lists.limit, lists.withTotals);
    }),
    proposals: [...proposals.values()]
      .map((d) => viewProposal(d, view))
      .filter((p): p is ProposalView => p !== null)
      .sort((a, b) => a.proposedAt.localeCompare(b.proposedAt) || a.proposalId.localeCompare(b.proposalId)),
    timeline: [...timeline].filter(([key]) => isEntryKey(key)).map(([, doc]) => doc as TimelineDoc)
      .sort((a, b) => timelineSortKey(a).localeCompare(timelineSortKey(b)))
      .map((d) => viewTimelineEntry(d, view))
      .filter((e): e is TimelineEntry => e !== null),
    status: viewStatus([...status.values()], view),
    agreements: [...agreementDocs.values()]
      .map((d) => viewAgreement(d, view, ceasefire))
      .filter((a): a is AgreementView => a !== null)
      .sort((a, b) => a.versions[0].occurredAt.localeCompare(b.versions[0].occurredAt) || a.agreementId.localeCompare(b.agreementId)),
  };
}

/** Drops log positions, which differ when the same history arrives in another order. */
/** Every entry of `actor` in the folded positions (what stanceHistory reads). */
export function entriesOf(events: NewsEvent[], actor: string): ActorEntry[] {
  return entriesIn(replay(positionsProjection, events), actor);
}

function entriesIn(positions: Map<string, unknown>, actor: string): ActorEntry[] {
  return [...positions].filter(([k]) => !k.startsWith('~') && actorOfKey(k) === actor).map(([, d]) => d as ActorEntry);
}

export function withoutPositions<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === 'position' ? undefined : v)));
}
