// Positions (owns: where each actor stands on each issue, its proposals, meetings and pressure).
// One document per actor holding every claim ever made about it, each with its evidence; the
// stance for any (asOf, knownAt) is cut from those claims by positions.view.ts.
import { assertNever, type DomainEvent, type NewsEvent } from '../../catalogue/news-event.js';
import { issuesTouchedBy, type Stance, type Terms } from '../../catalogue/primitives.js';
import { evidenceOf, evidenceUpdate, mapEvidence, underlyingTarget, type Evidence } from '../evidence.js';
import type { DocReader, Projection } from '../projection.js';

export interface Claim {
  ev: Evidence;
  occurredAt: string;
  stance: Stance;
  summary: string;
  terms?: Terms;
  conditions?: string[];
  /** Whom a demand is addressed to (PressureApplied). */
  on?: string[];
}

export interface ProposalLink {
  ev: Evidence;
  proposalId: string;
  role: 'proposer' | 'responder' | 'mediator' | 'addressee';
}

export interface MeetingEntry {
  ev: Evidence;
  occurredAt: string;
  meetingId?: string;
  with: string[];
  host?: string;
  location: { city?: string; country: string };
  tone?: string;
  summary: string;
}

export interface PressureEntry {
  ev: Evidence;
  occurredAt: string;
  by: string;
  on: string[];
  issue: string;
  demand: string;
}

export interface ActorDoc {
  actor: string;
  claims: Record<string, Claim[]>;
  proposals: ProposalLink[];
  meetings: MeetingEntry[];
  applied: PressureEntry[];
  received: PressureEntry[];
  /** Every event that concerned this actor: its lastEventAt and position. */
  touches: { ev: Evidence; occurredAt: string }[];
}

/** What positions needs to remember of a proposal to fold its responses. */
export interface ProposalIssues {
  issues: string[];
  terms: Terms;
}

export type PositionsDoc = ActorDoc | ProposalIssues;

export const actorKey = (actor: string) => `actor:${actor}`;
export const proposalKey = (proposalId: string) => `proposal:${proposalId}`;

export function emptyActor(actor: string): ActorDoc {
  return { actor, claims: {}, proposals: [], meetings: [], applied: [], received: [], touches: [] };
}

/** The actors an event concerns (used to find the documents a correction must touch). */
export function actorsOf(event: DomainEvent): string[] {
  switch (event.type) {
    case 'StatementIssued':
      return [event.data.actor];
    case 'ProposalMade':
      return unique([event.data.proposer, ...(event.data.mediators ?? []), ...(event.data.addressedTo ?? [])]);
    case 'ProposalResponded':
      return [event.data.responder];
    case 'MeetingHeld':
      return unique([...event.data.participants.map((p) => p.actor), ...(event.data.host ? [event.data.host] : [])]);
    case 'PressureApplied':
      return unique([event.data.by, ...event.data.on]);
    case 'AgreementReached':
      return unique([...event.data.parties, ...(event.data.mediators ?? [])]);
    case 'DetaineesReleased':
      return [event.data.by];
    case 'CeasefireStarted':
    case 'CeasefireEnded':
      return [];
    default:
      return assertNever(event);
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

type Changes = Record<string, PositionsDoc>;

class Draft {
  readonly changes: Changes = {};
  constructor(private readonly docs: DocReader<PositionsDoc>) {}

  actor(slug: string): ActorDoc {
    const key = actorKey(slug);
    return (this.changes[key] ?? this.docs.get(key) ?? emptyActor(slug)) as ActorDoc;
  }

  update(slug: string, fn: (doc: ActorDoc) => ActorDoc): void {
    this.changes[actorKey(slug)] = fn(this.actor(slug));
  }

  claim(slug: string, issue: string, claim: Claim): void {
    this.update(slug, (doc) => ({ ...doc, claims: { ...doc.claims, [issue]: [...(doc.claims[issue] ?? []), claim] } }));
  }

  link(slug: string, link: ProposalLink): void {
    this.update(slug, (doc) => ({ ...doc, proposals: [...doc.proposals, link] }));
  }
}

export function evolvePositions(docs: DocReader<PositionsDoc>, event: NewsEvent): Changes {
  const draft = new Draft(docs);
  const correction = evidenceUpdate(event);
  if (correction) {
    const target = underlyingTarget(event)!;
    if (target.type === 'SourceAdded' || target.type === 'ReportRetracted') return {};
    for (const slug of actorsOf(target)) {
      const doc = draft.actor(slug);
      const next = mapEvidence(doc, correction.targetId, correction.update);
      if (next !== doc) draft.changes[actorKey(slug)] = next;
    }
    return draft.changes;
  }

  const e = event as DomainEvent;
  const ev = evidenceOf(e);
  const at = e.occurredAt;
  for (const slug of actorsOf(e)) draft.update(slug, (doc) => ({ ...doc, touches: [...doc.touches, { ev, occurredAt: at }] }));

  switch (e.type) {
    case 'StatementIssued':
      for (const s of e.data.stances) {
        draft.claim(e.data.actor, s.issue, { ev, occurredAt: at, stance: s.stance, summary: e.data.summary, terms: s.terms, conditions: s.conditions });
      }
      break;
    case 'ProposalMade': {
      const d = e.data;
      const known = docs.get(proposalKey(d.proposalId)) as ProposalIssues | undefined;
      const issues = issuesTouchedBy(d.terms);
      draft.changes[proposalKey(d.proposalId)] = { issues: unique([...(known?.issues ?? []), ...issues]), terms: d.terms };
      for (const issue of issues) draft.claim(d.proposer, issue, { ev, occurredAt: at, stance: 'supports', summary: d.summary, terms: d.terms });
      draft.link(d.proposer, { ev, proposalId: d.proposalId, role: 'proposer' });
      for (const m of d.mediators ?? []) if (m !== d.proposer) draft.link(m, { ev, proposalId: d.proposalId, role: 'mediator' });
      for (const a of d.addressedTo ?? []) if (a !== d.proposer) draft.link(a, { ev, proposalId: d.proposalId, role: 'addressee' });
      break;
    }
    case 'ProposalResponded': {
      const d = e.data;
      const proposal = (draft.changes[proposalKey(d.proposalId)] ?? docs.get(proposalKey(d.proposalId))) as ProposalIssues | undefined;
      const stance: Stance | undefined = d.response === 'accepted' ? 'supports' : d.response === 'rejected' ? 'opposes' : undefined;
      if (stance && proposal) {
        for (const issue of proposal.issues) draft.claim(d.responder, issue, { ev, occurredAt: at, stance, summary: d.summary, terms: proposal.terms });
      }
      draft.link(d.responder, { ev, proposalId: d.proposalId, role: 'responder' });
      break;
    }
    case 'MeetingHeld': {
      const d = e.data;
      const everyone = unique([...d.participants.map((p) => p.actor), ...(d.host ? [d.host] : [])]);
      for (const slug of everyone) {
        draft.update(slug, (doc) => ({
          ...doc,
          meetings: [
            ...doc.meetings,
            { ev, occurredAt: at, meetingId: d.meetingId, with: everyone.filter((o) => o !== slug), host: d.host, location: d.location, tone: d.tone, summary: d.summary },
          ],
        }));
      }
      break;
    }
    case 'PressureApplied': {
      const d = e.data;
      const entry: PressureEntry = { ev, occurredAt: at, by: d.by, on: d.on, issue: d.issue, demand: d.demand };
      draft.claim(d.by, d.issue, { ev, occurredAt: at, stance: 'demands', summary: d.summary, conditions: [d.demand], on: d.on });
      draft.update(d.by, (doc) => ({ ...doc, applied: [...doc.applied, entry] }));
      for (const target of d.on) draft.update(target, (doc) => ({ ...doc, received: [...doc.received, entry] }));
      break;
    }
    case 'AgreementReached': {
      const d = e.data;
      for (const party of d.parties) {
        for (const issue of issuesTouchedBy(d.terms)) draft.claim(party, issue, { ev, occurredAt: at, stance: 'supports', summary: d.summary, terms: d.terms });
      }
      break;
    }
    case 'CeasefireStarted':
    case 'CeasefireEnded':
    case 'DetaineesReleased':
      break;
    default:
      assertNever(e);
  }
  return draft.changes;
}

export const positionsProjection: Projection<PositionsDoc> = {
  name: 'positions',
  version: 1,
  evolve: evolvePositions,
};
