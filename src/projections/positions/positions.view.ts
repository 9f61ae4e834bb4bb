// Cuts an actor's position for one (asOf, knownAt) out of its entries (see positions.fold.ts).
import { strongest, type Confidence } from '../../catalogue/confidence.js';
import type { Stance, Terms } from '../../catalogue/primitives.js';
import { byOccurrence, confidenceIn, counts, type Evidence, type View } from '../evidence.js';
import type { ActorEntry, Claim } from './positions.fold.js';

export interface StanceCell {
  stance: Stance;
  terms?: Terms;
  conditions?: string[];
  on?: string[];
  summary: string;
  since: string;
  confidence: Confidence;
  /** The events the stance rests on, newest first (the latest `limit` of them). */
  evidence: string[];
  /** Present when the evidence list was cut to `limit`. */
  evidenceTotal?: number;
}

export interface ActorInfo {
  slug: string;
  name: string;
  role: 'party' | 'mediator';
}

/** Where another actor says this one stands: the latest claim of one claimant (PositionClaimed). */
export interface ClaimCell {
  by: string;
  stance: Stance;
  terms?: Terms;
  conditions?: string[];
  summary: string;
  since: string;
  confidence: Confidence;
  evidence: string[];
}

export interface ActorPosition {
  actor: string;
  name: string;
  role: string;
  stances: Record<string, StanceCell>;
  /** Per issue, each claimant's latest claim about this actor, by claimant. Never its own stance. */
  claims: Record<string, ClaimCell[]>;
  proposals: { proposalId: string; role: string; status: string | null }[];
  agreements: { agreementId: string; role: string; status: string }[];
  meetings: {
    eventId: string;
    meetingId?: string;
    occurredAt: string;
    with: string[];
    host?: string;
    mediators: string[];
    location: { city?: string; country: string };
    tone?: string;
    format: 'direct' | 'indirect';
    summary: string;
  }[];
  pressure: {
    applied: { eventId: string; occurredAt: string; on: string[]; issue: string; demand: string; deadline?: string }[];
    received: { eventId: string; occurredAt: string; by: string; issue: string; demand: string; deadline?: string }[];
  };
  lastEventAt: string | null;
  /** The greatest log position among the events this answer rests on (its cells, lists and last event). */
  position: number;
  /**
   * How many of each list there are in this view (the lists hold the latest `limit`): only when
   * asked for (`?totals=true`), since counting reads every entry of the view, not the latest few.
   */
  totals?: Totals;
}

export interface Totals {
  proposals: number;
  agreements: number;
  meetings: number;
  applied: number;
  received: number;
}

/** The latest items kept in each list of a position (and in a stance's evidence) unless asked otherwise. */
export const DEFAULT_LIST_LIMIT = 10;


export interface DatedClaim extends Claim {
  ev: Evidence;
  occurredAt: string;
}

/**
 * One pass over the actor's entries, newest first: each stance cell stops collecting at its
 * first disagreeing claim (a stance holds since the first of the unbroken run of claims that
 * agree with it), and the lists build only the items they show.
 *
 * @param entries the actor's entries (the reader's cache keeps them in occurrence order already)
 * @param roles every registered actor's default role, to show who mediated a meeting
 * @param proposalStatus the status of a proposal in the same view (null when it is not on record)
 * @param agreementStatus the status of an agreement in the same view (null when it is not on record)
 * @param withTotals count every list in full (see ActorPosition.totals)
 *
 * What it reads of `entries` is what the reader's facet walks fetch (positions.reader.ts): per
 * cell, the entries down to the first disagreeing claim; per list, its latest `limit` items; the
 * latest entry. Any superset of those gives the same answer, totals aside.
 */
export function viewActor(
  info: ActorInfo,
  entries: readonly ActorEntry[],
  view: View,
  roles: ReadonlyMap<string, string>,
  proposalStatus: (proposalId: string) => string | null,
  agreementStatus: (agreementId: string) => string | null,
  limit = DEFAULT_LIST_LIMIT,
  withTotals = false,
): ActorPosition {
  entries = inOccurrenceOrder(entries);
  const runs = new Map<string, { claims: DatedClaim[]; closed: boolean }>();
  const claimRuns = new Map<string, { issue: string; by: string; claims: DatedClaim[]; closed: boolean }>();
  const seen = new Set<string>();
  const links: { proposalId: string; role: string; at: number }[] = [];
  const agreementLinks: { agreementId: string; role: string; at: number }[] = [];
  const meetings: ActorEntry[] = [];
  const applied: ActorEntry[] = [];
  const received: ActorEntry[] = [];
  const totals = { proposals: 0, agreements: 0, meetings: 0, applied: 0, received: 0 };
  let last: ActorEntry | undefined;

  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (!counts(e.ev, view)) continue;
    last ??= e;
    for (const c of e.claims ?? []) {
      const run = runs.get(c.issue) ?? runs.set(c.issue, { claims: [], closed: false }).get(c.issue)!;
      if (run.closed) continue;
      if (run.claims.length && run.claims[0].stance !== c.stance) run.closed = true;
      else run.claims.push({ ...c, ev: e.ev, occurredAt: e.occurredAt });
    }
    if (e.claimed) {
      const by = e.claimed.by;
      for (const c of e.claimed.claims) {
        const key = `${c.issue}\u0000${by}`;
        const run = claimRuns.get(key) ?? claimRuns.set(key, { issue: c.issue, by, claims: [], closed: false }).get(key)!;
        if (run.closed) continue;
        if (run.claims.length && run.claims[0].stance !== c.stance) run.closed = true;
        else run.claims.push({ ...c, ev: e.ev, occurredAt: e.occurredAt });
      }
    }
    for (const p of e.proposals ?? []) {
      const key = `${p.proposalId}\u0000${p.role}`;
      if (!seen.has(key) && seen.add(key)) links.push({ ...p, at: e.ev.stamp.position });
    }
    for (const a of e.agreements ?? []) {
      const key = `${a.agreementId}\u0000${a.role}`;
      if (!seen.has(`agreement\u0000${key}`) && seen.add(`agreement\u0000${key}`)) agreementLinks.push({ ...a, at: e.ev.stamp.position });
    }
    if (e.meeting && totals.meetings++ < limit) meetings.push(e);
    if (e.applied && totals.applied++ < limit) applied.push(e);
    if (e.received && totals.received++ < limit) received.push(e);
  }
  totals.proposals = links.length;
  totals.agreements = agreementLinks.length;

  // Built from entries, not by assigning to `{}`: issue slugs are data (Object.fromEntries
  // defines own properties, whatever the name).
  const cells: [string, StanceCell][] = [];
  for (const issue of [...runs.keys()].sort()) {
    const run = runs.get(issue)!.claims; // newest first
    const current = run[0];
    cells.push([issue, {
      stance: current.stance,
      ...(current.terms ? { terms: current.terms } : {}),
      ...(current.conditions ? { conditions: current.conditions } : {}),
      ...(current.on ? { on: current.on } : {}),
      summary: current.summary,
      since: run[run.length - 1].occurredAt,
      confidence: strongest(run.map((c) => confidenceIn(c.ev, view))),
      evidence: run.slice(0, limit).map((c) => c.ev.id),
      ...(run.length > limit ? { evidenceTotal: run.length } : {}),
    }]);
  }
  const stances: Record<string, StanceCell> = Object.fromEntries(cells);

  const claimsByIssue = new Map<string, ClaimCell[]>();
  for (const { issue, by, claims: run } of [...claimRuns.values()].sort((a, b) => (a.issue < b.issue ? -1 : a.issue > b.issue ? 1 : a.by < b.by ? -1 : 1))) {
    const current = run[0];
    const cell: ClaimCell = {
      by,
      stance: current.stance,
      ...(current.terms ? { terms: current.terms } : {}),
      ...(current.conditions ? { conditions: current.conditions } : {}),
      summary: current.summary,
      since: run[run.length - 1].occurredAt,
      confidence: strongest(run.map((c) => confidenceIn(c.ev, view))),
      evidence: run.slice(0, limit).map((c) => c.ev.id),
    };
    claimsByIssue.set(issue, [...(claimsByIssue.get(issue) ?? []), cell]);
  }

  // The answer's position: the latest event in log order among those it shows or rests on.
  let position = last?.ev.stamp.position ?? 0;
  const restsOn = (at: number) => {
    if (at > position) position = at;
  };
  for (const { claims: run } of [...runs.values(), ...claimRuns.values()]) for (const c of run) restsOn(c.ev.stamp.position);
  for (const e of [...meetings, ...applied, ...received]) restsOn(e.ev.stamp.position);

  const proposals: { proposalId: string; role: string; status: string | null }[] = [];
  for (const p of links) {
    if (proposals.length >= limit) break;
    const status = proposalStatus(p.proposalId);
    if (status === null) continue;
    proposals.push({ proposalId: p.proposalId, role: p.role, status });
    restsOn(p.at);
  }

  const agreements: { agreementId: string; role: string; status: string }[] = [];
  for (const a of agreementLinks) {
    if (agreements.length >= limit) break;
    const status = agreementStatus(a.agreementId);
    if (status === null) continue;
    agreements.push({ agreementId: a.agreementId, role: a.role, status });
    restsOn(a.at);
  }

  return {
    actor: info.slug,
    name: info.name,
    role: info.role,
    stances,
    claims: Object.fromEntries(claimsByIssue),
    proposals: proposals.reverse(),
    agreements: agreements.reverse(),
    meetings: meetings.reverse().map((e) => {
      const m = e.meeting!;
      const everyone = [info.slug, ...m.with];
      return {
        eventId: e.ev.id,
        ...(m.meetingId ? { meetingId: m.meetingId } : {}),
        occurredAt: e.occurredAt,
        with: m.with,
        ...(m.host ? { host: m.host } : {}),
        mediators: everyone.filter((a) => a === m.host || roles.get(a) === 'mediator'),
        location: m.location,
        ...(m.tone ? { tone: m.tone } : {}),
        format: m.format ?? 'direct',
        summary: m.summary,
      };
    }),
    pressure: {
      applied: applied.reverse().map((e) => ({ eventId: e.ev.id, occurredAt: e.occurredAt, ...e.applied! })),
      received: received.reverse().map((e) => ({ eventId: e.ev.id, occurredAt: e.occurredAt, ...e.received! })),
    },
    lastEventAt: last?.occurredAt ?? null,
    position,
    ...(withTotals ? { totals } : {}),
  };
}

function inOccurrenceOrder(entries: readonly ActorEntry[]): readonly ActorEntry[] {
  for (let i = 1; i < entries.length; i++) if (byOccurrence(entries[i - 1], entries[i]) > 0) return [...entries].sort(byOccurrence);
  return entries;
}
