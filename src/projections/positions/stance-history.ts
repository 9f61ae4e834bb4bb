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
}

export function stanceHistory(entries: readonly ActorEntry[], issue: string, view: View): StanceChange[] {
  let previous: string | undefined;
  return entries
    .filter((e) => inView(e.ev.stamp, view) && e.claims?.some((c) => c.issue === issue))
    .sort(byOccurrence)
    .map((e) => {
      const claim = e.claims!.find((c) => c.issue === issue)!;
      const retracted = !counts(e.ev, view);
      const changed = !retracted && claim.stance !== previous;
      if (!retracted) previous = claim.stance;
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
      };
    });
}
