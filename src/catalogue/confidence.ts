import type { Source } from './primitives.js';

/** `disputed`: contested by a ReportDisputed in view; it ranks below everything else. */
export type Confidence = 'confirmed' | 'reported' | 'unconfirmed' | 'disputed';
export const CONFIDENCE_RANK: Record<Confidence, number> = { disputed: -1, unconfirmed: 0, reported: 1, confirmed: 2 };

/** Contract: confirmed if any source is official or two distinct outlets carry it; reported if a named source; else unconfirmed. */
export function confidenceOf(sources: readonly Source[]): Confidence {
  const outlets = new Set(sources.map((s) => s.outlet.trim().toLowerCase()));
  if (sources.some((s) => s.attribution === 'official') || outlets.size >= 2) return 'confirmed';
  if (sources.some((s) => s.attribution === 'named')) return 'reported';
  return 'unconfirmed';
}

export function strongest(levels: readonly Confidence[]): Confidence {
  return levels.reduce<Confidence>((best, c) => (CONFIDENCE_RANK[c] > CONFIDENCE_RANK[best] ? c : best), 'disputed');
}
