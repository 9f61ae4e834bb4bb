// Positions (owns: where each actor stands on each issue, its proposals, meetings and pressure).
// One small document per (actor, event) — `hamas/<event id>` — holding what that event says of
// the actor, with its evidence; positions.view.ts cuts any (asOf, knownAt) view from them.
import type { DataOf } from '../../catalogue/catalogue.js';
import { actorsConcerned } from '../../catalogue/concerns.js';
import { assertNever, type DomainEvent, type NewsEvent } from '../../catalogue/news-event.js';
import { issuesTouchedBy, type Stance, type Terms } from '../../catalogue/primitives.js';
import { corrected, evidenceOf, evidenceUpdate, underlyingTarget, type Evidence } from '../evidence.js';
import type { Changes, DocReader, Projection } from '../projection.js';
import { positionFacets } from './positions.facets.js';
import { derivedFromLog } from '../derived-from-log.js';

export interface Claim {
  issue: string;
  stance: Stance;
  summary: string;
  terms?: Terms;
  conditions?: string[];
  /** Whom a demand is addressed to (PressureApplied). */
  on?: string[];
}

export type ProposalRole = 'proposer' | 'responder' | 'mediator' | 'addressee';
export type AgreementRole = 'party' | 'mediator' | 'guarantor';

/** What one event says about one actor. */
export interface ActorEntry {
  ev: Evidence;
  occurredAt: string;
  reportedAt: string;
  type: string;
  claims?: Claim[];
  /** What another actor says of this one (PositionClaimed): never this actor's own stance. */
  claimed?: { by: string; claims: Claim[] };
  proposals?: { proposalId: string; role: ProposalRole }[];
  agreements?: { agreementId: string; role: AgreementRole }[];
  meeting?: { meetingId?: string; with: string[]; host?: string; location: { city?: string; country: string }; tone?: string; format?: 'direct' | 'indirect'; summary: string };
  applied?: { on: string[]; issue: string; demand: string; deadline?: string };
  received?: { by: string; issue: string; demand: string; deadline?: string };
}

/** What positions remembers of a proposal to fold responses to it. */
export interface ProposalIssues {
  issues: string[];
  terms: Terms;
}

export type PositionsDoc = ActorEntry | ProposalIssues;

export const entryKey = (actor: string, eventId: string) => `${actor}/${eventId}`;
export const proposalKey = (proposalId: string) => `~proposal/${proposalId}`;
export const actorOfKey = (key: string) => key.slice(0, key.indexOf('/'));
/** Whether a key names an entry (`actor/<event id>`), not what the fold remembers of a proposal. */
export const isEntryKey = (key: string) => !key.startsWith('~');

/** The actors an event concerns (the catalogue's rule): each gets an entry. */
export const actorsOf = (event: DomainEvent): string[] => actorsConcerned(event);

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function readsOf(event: NewsEvent): string[] {
  const target = underlyingTarget(event);
  if (target) return actorsOf(target).map((a) => entryKey(a, target.id));
  if (event.type === 'ProposalMade' || event.type === 'ProposalResponded') return [proposalKey(event.data.proposalId)];
  return [];
}

/** The entries a development creates, one per actor it concerns. */
function entriesOf(e: DomainEvent, docs: DocReader<PositionsDoc>): Changes<PositionsDoc> {
  const ev = evidenceOf(e);
  const entries = new Map<string, ActorEntry>(actorsOf(e).map((a) => [a, { ev, occurredAt: e.occurredAt, reportedAt: e.reportedAt, type: e.type }]));
  const entry = (actor: string) => entries.get(actor)!;
  const extra: Changes<PositionsDoc> = new Map();

  switch (e.type) {
    case 'StatementIssued':
      entry(e.data.actor).claims = e.data.stances.map((s) => defined({ issue: s.issue, stance: s.stance, summary: e.data.summary, terms: s.terms, conditions: s.conditions }));
      break;
    case 'ProposalMade': {
      const d = e.data;
      const known = docs.get(proposalKey(d.proposalId)) as ProposalIssues | undefined;
      extra.set(proposalKey(d.proposalId), { issues: unique([...(known?.issues ?? []), ...issuesTouchedBy(d.terms)]), terms: d.terms });
      entry(d.proposer).claims = issuesTouchedBy(d.terms).map((issue) => ({ issue, stance: 'supports', summary: d.summary, terms: d.terms }));
      const roles: [string, ProposalRole][] = [[d.proposer, 'proposer'], ...(d.mediators ?? []).map((m): [string, ProposalRole] => [m, 'mediator']), ...(d.addressedTo ?? []).map((a): [string, ProposalRole] => [a, 'addressee'])];
      for (const [actor, role] of roles) {
        const en = entry(actor);
        if (!en.proposals?.length) en.proposals = [{ proposalId: d.proposalId, role }];
      }
      break;
    }
    case 'ProposalResponded': {
      const d = e.data;
      const claims = answerClaims(d, docs.get(proposalKey(d.proposalId)) as ProposalIssues | undefined);
      if (claims.length) entry(d.responder).claims = claims;
      entry(d.responder).proposals = [{ proposalId: d.proposalId, role: 'responder' }];
      break;
    }
    case 'PositionClaimed': {
      const d = e.data;
      const claims = d.stances.map((s) => defined({ issue: s.issue, stance: s.stance, summary: d.summary, terms: s.terms, conditions: s.conditions }));
      for (const subject of d.about) entry(subject).claimed = { by: d.claimant, claims };
      break;
    }
    case 'MeetingHeld': {
      const d = e.data;
      const everyone = actorsOf(e);
      for (const actor of everyone) {
        entry(actor).meeting = defined({ meetingId: d.meetingId, with: everyone.filter((o) => o !== actor), host: d.host, location: d.location, tone: d.tone, format: d.format, summary: d.summary });
      }
      break;
    }
    case 'PressureApplied': {
      const d = e.data;
      entry(d.by).claims = [{ issue: d.issue, stance: 'demands', summary: d.summary, conditions: [d.demand], on: d.on }];
      entry(d.by).applied = defined({ on: d.on, issue: d.issue, demand: d.demand, deadline: d.deadline });
      for (const target of d.on) if (target !== d.by) entry(target).received = defined({ by: d.by, issue: d.issue, demand: d.demand, deadline: d.deadline });
      break;
    }
    case 'AgreementReached': {
      const d = e.data;
      // Announced or signed, each posting that carries parties and terms sets their stances.
      const terms = d.terms;
      if (terms) for (const party of d.parties ?? []) entry(party).claims = issuesTouchedBy(terms).map((issue) => ({ issue, stance: 'supports', summary: d.summary, terms }));
      const roles: [string, AgreementRole][] = [...(d.parties ?? []).map((a): [string, AgreementRole] => [a, 'party']), ...(d.mediators ?? []).map((a): [string, AgreementRole] => [a, 'mediator']), ...(d.guarantors ?? []).map((a): [string, AgreementRole] => [a, 'guarantor'])];
      // An actor may hold two roles (a mediator that also guarantees it): each is listed.
      for (const [actor, role] of roles) {
        const en = entry(actor);
        if (!en.agreements?.some((a) => a.role === role)) en.agreements = [...(en.agreements ?? []), { agreementId: d.agreementId, role }];
      }
      break;
    }
    case 'CeasefireStarted':
    case 'CeasefireEnded':
    case 'CeasefireViolated':
    case 'AgreementRatified':
    case 'DetaineesReleased':
      break;
    default:
      assertNever(e);
  }
  for (const [actor, en] of entries) extra.set(entryKey(actor, e.id), en);
  return extra;
}

/**
 * What an answer says of the responder's stances (contract v2, Answers): each listed stance as
 * listed; the proposal's other issues by default — accepted → supports (conditional with
 * conditions), rejected → opposes, countered and considering → unchanged. The answer's own
 * terms, if any, go on the stances it sets.
 */
function answerClaims(d: DataOf<'ProposalResponded'>, proposal: ProposalIssues | undefined): Claim[] {
  const listed = new Set((d.stances ?? []).map((s) => s.issue));
  const fallback: Stance | undefined = d.response === 'accepted' ? (d.conditions ? 'conditional' : 'supports') : d.response === 'rejected' ? 'opposes' : undefined;
  const claims: Claim[] = [];
  if (fallback && proposal) {
    for (const issue of proposal.issues) {
      if (!listed.has(issue)) claims.push(defined({ issue, stance: fallback, summary: d.summary, terms: d.terms ?? proposal.terms, conditions: fallback === 'conditional' ? d.conditions : undefined }));
    }
  }
  for (const s of d.stances ?? []) claims.push(defined({ issue: s.issue, stance: s.stance, summary: d.summary, terms: s.terms ?? d.terms, conditions: s.conditions }));
  return claims;
}

/**
 * The object without its undefined fields, so an entry is the same in memory as read back from
 * its JSON. Built once at the few places an optional input field lands (events come from stored
 * JSON, so nothing below them is undefined): walking whole entries and deleting fields cost a
 * rebuild several per cent, and `delete` leaves V8 objects slow to serialise.
 */
function defined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const k in value) if (value[k] !== undefined) out[k] = value[k];
  return out as T;
}

export function evolvePositions(docs: DocReader<PositionsDoc>, event: NewsEvent): Changes<PositionsDoc> {
  const correction = evidenceUpdate(event);
  return correction ? corrected(docs, readsOf(event), correction) : entriesOf(event as DomainEvent, docs);
}

export const positionsProjection: Projection<PositionsDoc> = {
  name: 'positions',
  version: 7,
  reads: readsOf,
  evolve: evolvePositions,
  facets: positionFacets,
  // Entries are folded again from the log where needed; what it remembers of proposals is stored.
  derived: { has: isEntryKey, fromLog: derivedFromLog(evolvePositions, (key) => key.slice(key.indexOf('/') + 1)) },
};
