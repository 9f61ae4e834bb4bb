// How one (actor, issue) cell changed over time: every claim in the view, in occurrence order,
// each with its event, sources and confidence, retracted ones kept and marked.
import type { Confidence } from '../../catalogue/confidence.js';
import type { Source } from '../../catalogue/primitives.js';
import { byOccurrence, confidenceIn, counts, inView, sourcesInView, type View } from '../evidence.js';
import type { ActorEntry } from './positions.fold.js';

export interface StanceChange {
  eventId: string;
  type: string;
  position: number;
  occurredAt: string;
  reportedAt: string;
  stance: string;
  summary: string;
  terms?: unknown;
  conditions?: string[];
  on?: string[];
  confidence: Confidence;
  sources: Source[];
  /** Retracted as known in this view: kept in history, no longer counting. */
  retracted: boolean;
  /** This claim changed the stance (the first one, or a different stance from the one before). */
  changed: boolean;
  /** Present on what another actor said of this one (PositionClaimed): `changed` then compares with that claimant's previous claim. */
  claimedBy?: string;
}

export function stanceHistory(entries: readonly ActorEntry[], issue: string, view: View): StanceChange[] {
  // The stance before each claim, per voice: the actor's own (''), and each claimant's.
  const previous = new Map<string, string>();
  const said = entries
    .filter((e) => inView(e.ev.stamp, view))
    .flatMap((e) => [
      ...(e.claims ?? []).filter((c) => c.issue === issue).slice(0, 1).map((claim) => ({ e, claim, by: undefined as string | undefined })),
      ...(e.claimed?.claims ?? []).filter((c) => c.issue === issue).slice(0, 1).map((claim) => ({ e, claim, by: e.claimed!.by })),
    ])
    .sort((a, b) => byOccurrence(a.e, b.e));
  return said.map(({ e, claim, by }) => {
    const voice = by ?? '';
    const retracted = !counts(e.ev, view);
    const changed = !retracted && claim.stance !== previous.get(voice);
    if (!retracted) previous.set(voice, claim.stance);
    return {
      eventId: e.ev.id,
      type: e.type,
      position: e.ev.stamp.position,
      occurredAt: e.occurredAt,
      reportedAt: e.reportedAt,
      stance: claim.stance,
      summary: claim.summary,
      ...(claim.terms ? { terms: claim.terms } : {}),
      ...(claim.conditions ? { conditions: claim.conditions } : {}),
      ...(claim.on ? { on: claim.on } : {}),
      confidence: confidenceIn(e.ev, view),
      sources: sourcesInView(e.ev, view),
      retracted,
      changed,
      ...(by ? { claimedBy: by } : {}),
    };
  });
}
