// Positions' facets (owns: which rows lead a reader to an actor's entries). An entry gets one row
// for itself and one per thing of the answer it can feed — a stance cell, a claimant's cell, a
// list — so the reader walks each newest first and stops where viewActor would stop reading.
import type { Facet } from '../projection.js';
import { actorOfKey, isEntryKey, type ActorEntry, type PositionsDoc } from './positions.fold.js';

/** Facet names, short because there is a row per entry and facet. */
export const FACET = {
  /** Every entry: the latest one in view is the actor's lastEventAt. */
  entry: 'e',
  /** The actor's own stance on an issue. */
  stance: (issue: string) => `s/${issue}`,
  /** What `by` says of the actor on an issue (PositionClaimed). */
  claim: (issue: string, by: string) => `c/${issue}/${by}`,
  proposals: 'p',
  agreements: 'g',
  meetings: 'm',
  applied: 'a',
  received: 'r',
} as const;

export type ListFacet = 'proposals' | 'agreements' | 'meetings' | 'applied' | 'received';
export const LIST_FACETS: readonly ListFacet[] = ['proposals', 'agreements', 'meetings', 'applied', 'received'];

function isEntry(key: string, doc: PositionsDoc): doc is ActorEntry {
  return isEntryKey(key) && 'ev' in doc;
}

/** The facet rows of one positions document (none for what the fold remembers of proposals). */
export function positionFacets(key: string, doc: PositionsDoc): Facet[] {
  if (!isEntry(key, doc)) return [];
  const { stamp, retracted } = doc.ev;
  const row = (facet: string): Facet => ({
    group: actorOfKey(key),
    facet,
    occurred: stamp.occurred,
    position: stamp.position,
    reported: stamp.reported,
    retracted: retracted.length ? { occurred: retracted[0].occurred, reported: retracted[0].reported } : null,
  });
  const rows = [row(FACET.entry)];
  const issues = new Set<string>();
  for (const c of doc.claims ?? []) if (!issues.has(c.issue) && issues.add(c.issue)) rows.push(row(FACET.stance(c.issue)));
  const claimed = new Set<string>();
  for (const c of doc.claimed?.claims ?? []) if (!claimed.has(c.issue) && claimed.add(c.issue)) rows.push(row(FACET.claim(c.issue, doc.claimed!.by)));
  if (doc.proposals?.length) rows.push(row(FACET.proposals));
  if (doc.agreements?.length) rows.push(row(FACET.agreements));
  if (doc.meeting) rows.push(row(FACET.meetings));
  if (doc.applied) rows.push(row(FACET.applied));
  if (doc.received) rows.push(row(FACET.received));
  return rows;
}
