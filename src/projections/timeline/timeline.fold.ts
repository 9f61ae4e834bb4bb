// Timeline (owns: every development in occurrence order). One entry per event; corrections update
// the entry of the event they are about. Entries are derived (see derived-from-log.ts): readers
// take the events in view from the log in occurrence order and fold their entries again; only
// what the fold remembers of proposals is stored.
import { actorsConcerned, issuesConcerned } from '../../catalogue/concerns.js';
import type { DomainEvent, NewsEvent } from '../../catalogue/news-event.js';
import { corrected, evidenceOf, evidenceUpdate, underlyingTarget, type Evidence } from '../evidence.js';
import type { Changes, DocReader, Projection } from '../projection.js';
import { derivedFromLog } from '../derived-from-log.js';

export interface TimelineDoc {
  ev: Evidence;
  type: string;
  occurredAt: string;
  reportedAt: string;
  actors: string[];
  issues: string[];
  summary: string;
  /** A meeting's format, direct or indirect. */
  format?: 'direct' | 'indirect';
}

/** What the timeline remembers of a proposal, for the issues an answer to it concerns. */
export interface ProposalIssuesDoc {
  proposalIssues: string[];
}

export const proposalKey = (proposalId: string) => `~proposal/${proposalId}`;
export const isEntryKey = (key: string) => !key.startsWith('~');

function readsOf(event: NewsEvent): string[] {
  const target = underlyingTarget(event);
  if (target) return [target.id];
  if (event.type === 'ProposalMade' || event.type === 'ProposalResponded') return [proposalKey(event.data.proposalId)];
  return [];
}

export function evolveTimeline(docs: DocReader<TimelineDoc | ProposalIssuesDoc>, event: NewsEvent): Changes<TimelineDoc | ProposalIssuesDoc> {
  const correction = evidenceUpdate(event);
  if (correction) return corrected(docs, readsOf(event), correction);
  const e = event as DomainEvent;
  const changes: Changes<TimelineDoc | ProposalIssuesDoc> = new Map();
  let proposalIssues: string[] = [];
  if (e.type === 'ProposalMade' || e.type === 'ProposalResponded') {
    const known = (docs.get(proposalKey(e.data.proposalId)) as ProposalIssuesDoc | undefined)?.proposalIssues ?? [];
    proposalIssues = e.type === 'ProposalMade' ? [...new Set([...known, ...issuesConcerned(e)])] : known;
    if (e.type === 'ProposalMade' && proposalIssues.length !== known.length) changes.set(proposalKey(e.data.proposalId), { proposalIssues });
  }
  const entry: TimelineDoc = { ev: evidenceOf(e), type: e.type, occurredAt: e.occurredAt, reportedAt: e.reportedAt, actors: actorsConcerned(e), issues: issuesConcerned(e, proposalIssues), summary: e.data.summary };
  if (e.type === 'MeetingHeld') entry.format = e.data.format ?? 'direct';
  changes.set(e.id, entry);
  return changes;
}

/** Sorts by occurrence, then position: fixed-width so that text order is time order. */
export function timelineSortKey(doc: TimelineDoc): string {
  return `${String(doc.ev.stamp.occurred + 1e15).padStart(17, '0')}:${String(doc.ev.stamp.position).padStart(20, '0')}`;
}

export const timelineProjection: Projection<TimelineDoc | ProposalIssuesDoc> = {
  name: 'timeline',
  version: 6,
  reads: readsOf,
  evolve: evolveTimeline,
  derived: { has: isEntryKey, fromLog: derivedFromLog(evolveTimeline, (key) => key) },
};
