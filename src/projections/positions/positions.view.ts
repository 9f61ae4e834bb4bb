// Cuts an actor's position for one (asOf, knownAt) out of its document (see positions.fold.ts).
import { strongest, type Confidence } from '../../catalogue/confidence.js';
import type { Stance, Terms } from '../../catalogue/primitives.js';
import { byOccurrence, confidenceIn, counts, type View } from '../evidence.js';
import type { ActorDoc, Claim } from './positions.fold.js';

export interface StanceCell {
  stance: Stance;
  terms?: Terms;
  conditions?: string[];
  on?: string[];
  summary: string;
  since: string;
  confidence: Confidence;
  /** The events the stance rests on, newest first. */
  evidence: string[];
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
}

export function stanceCell(claims: readonly Claim[], view: View): StanceCell | undefined {
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
    evidence: run.map((c) => c.ev.id).reverse(),
  };
}

/**
 * @param roles every registered actor's default role, to show who mediated a meeting
 * @param proposalStatus the status of a proposal in the same view (null when it is not on record)
 */
export function viewActor(
  info: ActorInfo,
  doc: ActorDoc | undefined,
  view: View,
  roles: ReadonlyMap<string, string>,
  proposalStatus: (proposalId: string) => string | null,
): ActorPosition {
  const d = doc ?? { actor: info.slug, claims: {}, proposals: [], meetings: [], applied: [], received: [], touches: [] };
  const stances: Record<string, StanceCell> = {};
  for (const issue of Object.keys(d.claims).sort()) {
    const cell = stanceCell(d.claims[issue], view);
    if (cell) stances[issue] = cell;
  }

  const seen = new Set<string>();
  const proposals = d.proposals
    .filter((p) => counts(p.ev, view))
    .sort(byOccurrence)
    .filter((p) => {
      const key = `${p.proposalId}\u0000${p.role}`;
      return !seen.has(key) && seen.add(key);
    })
    .map((p) => ({ proposalId: p.proposalId, role: p.role, status: proposalStatus(p.proposalId) }))
    .filter((p) => p.status !== null);

  const meetings = d.meetings
    .filter((m) => counts(m.ev, view))
    .sort(byOccurrence)
    .map((m) => {
      const everyone = [info.slug, ...m.with];
      const mediators = everyone.filter((a) => a === m.host || roles.get(a) === 'mediator');
      return {
        eventId: m.ev.id,
        ...(m.meetingId ? { meetingId: m.meetingId } : {}),
        occurredAt: m.occurredAt,
        with: m.with,
        ...(m.host ? { host: m.host } : {}),
        mediators: [...new Set(mediators)],
        location: m.location,
        ...(m.tone ? { tone: m.tone } : {}),
        summary: m.summary,
      };
    });

  const applied = d.applied.filter((p) => counts(p.ev, view)).sort(byOccurrence);
  const received = d.received.filter((p) => counts(p.ev, view)).sort(byOccurrence);
  const touches = d.touches.filter((t) => counts(t.ev, view)).sort(byOccurrence);
  const last = touches.at(-1);

  return {
    actor: info.slug,
    name: info.name,
    role: info.role,
    stances,
    proposals,
    meetings,
    pressure: {
      applied: applied.map((p) => ({ eventId: p.ev.id, occurredAt: p.occurredAt, on: p.on, issue: p.issue, demand: p.demand })),
      received: received.map((p) => ({ eventId: p.ev.id, occurredAt: p.occurredAt, by: p.by, issue: p.issue, demand: p.demand })),
    },
    lastEventAt: last?.occurredAt ?? null,
    position: touches.reduce((max, t) => Math.max(max, t.ev.stamp.position), 0),
  };
}
