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

export interface ActorPosition {
  actor: string;
  name: string;
  role: string;
  stances: Record<string, StanceCell>;
  proposals: { proposalId: string; role: string; status: string | null }[];
  meetings: {
    eventId: string;
    meetingId?: string;
    occurredAt: string;
    with: string[];
    host?: string;
    mediators: string[];
    location: { city?: string; country: string };
    tone?: string;
    summary: string;
  }[];
  pressure: {
    applied: { eventId: string; occurredAt: string; on: string[]; issue: string; demand: string }[];
    received: { eventId: string; occurredAt: string; by: string; issue: string; demand: string }[];
  };
  lastEventAt: string | null;
  position: number;
  /** How many of each list there are in this view; the lists hold the latest `limit`. */
  totals: { proposals: number; meetings: number; applied: number; received: number };
}

/** The latest items kept in each list of a position (and in a stance's evidence) unless asked otherwise. */
export const DEFAULT_LIST_LIMIT = 100;

const latest = <T>(items: T[], limit: number) => (items.length > limit ? items.slice(items.length - limit) : items);

export interface DatedClaim extends Claim {
  ev: Evidence;
  occurredAt: string;
}

/** The stance of one cell from its claims that count in the view, latest occurrence first. */
export function stanceCell(claims: readonly DatedClaim[], view: View, limit = DEFAULT_LIST_LIMIT): StanceCell | undefined {
  const live = claims.filter((c) => counts(c.ev, view)).sort(byOccurrence);
  const current = live.at(-1);
  if (!current) return undefined;
  // The stance has held since the first of the unbroken run of claims that agree with it.
  let start = live.length - 1;
  while (start > 0 && live[start - 1].stance === current.stance) start--;
  const run = live.slice(start);
  return {
    stance: current.stance,
    ...(current.terms ? { terms: current.terms } : {}),
    ...(current.conditions ? { conditions: current.conditions } : {}),
    ...(current.on ? { on: current.on } : {}),
    summary: current.summary,
    since: run[0].occurredAt,
    confidence: strongest(run.map((c) => confidenceIn(c.ev, view))),
    evidence: latest(run, limit).map((c) => c.ev.id).reverse(),
    ...(run.length > limit ? { evidenceTotal: run.length } : {}),
  };
}

/**
 * @param roles every registered actor's default role, to show who mediated a meeting
 * @param proposalStatus the status of a proposal in the same view (null when it is not on record)
 */
export function viewActor(
  info: ActorInfo,
  entries: readonly ActorEntry[],
  view: View,
  roles: ReadonlyMap<string, string>,
  proposalStatus: (proposalId: string) => string | null,
  limit = DEFAULT_LIST_LIMIT,
): ActorPosition {
  const live = entries.filter((e) => counts(e.ev, view)).sort(byOccurrence);

  const cells = new Map<string, DatedClaim[]>();
  for (const e of live) {
    for (const c of e.claims ?? []) {
      const cell = cells.get(c.issue) ?? cells.set(c.issue, []).get(c.issue)!;
      cell.push({ ...c, ev: e.ev, occurredAt: e.occurredAt });
    }
  }
  const stances: Record<string, StanceCell> = {};
  for (const issue of [...cells.keys()].sort()) stances[issue] = stanceCell(cells.get(issue)!, view, limit)!;

  const seen = new Set<string>();
  const proposals = live
    .flatMap((e) => e.proposals ?? [])
    .filter((p) => {
      const key = `${p.proposalId}\u0000${p.role}`;
      return !seen.has(key) && seen.add(key);
    })
    .map((p) => ({ proposalId: p.proposalId, role: p.role, status: proposalStatus(p.proposalId) }))
    .filter((p) => p.status !== null);

  const meetings = live.flatMap((e) => {
    if (!e.meeting) return [];
    const m = e.meeting;
    const everyone = [info.slug, ...m.with];
    return [{
      eventId: e.ev.id,
      ...(m.meetingId ? { meetingId: m.meetingId } : {}),
      occurredAt: e.occurredAt,
      with: m.with,
      ...(m.host ? { host: m.host } : {}),
      mediators: everyone.filter((a) => a === m.host || roles.get(a) === 'mediator'),
      location: m.location,
      ...(m.tone ? { tone: m.tone } : {}),
      summary: m.summary,
    }];
  });

  const applied = live.flatMap((e) => (e.applied ? [{ eventId: e.ev.id, occurredAt: e.occurredAt, ...e.applied }] : []));
  const received = live.flatMap((e) => (e.received ? [{ eventId: e.ev.id, occurredAt: e.occurredAt, ...e.received }] : []));
  const last = live.at(-1);
  return {
    actor: info.slug,
    name: info.name,
    role: info.role,
    stances,
    proposals: latest(proposals, limit),
    meetings: latest(meetings, limit),
    pressure: { applied: latest(applied, limit), received: latest(received, limit) },
    lastEventAt: last?.occurredAt ?? null,
    position: live.reduce((max, e) => Math.max(max, e.ev.stamp.position), 0),
    totals: { proposals: proposals.length, meetings: meetings.length, applied: applied.length, received: received.length },
  };
}
