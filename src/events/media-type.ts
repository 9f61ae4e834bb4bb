// Content negotiation for the reads that have a second form (GET /events as NDJSON, GET /positions
// as CSV): which of JSON and the alternative an Accept header prefers.

/** How much an Accept header wants `type` (its q, 0 when not acceptable); wildcards count only when `wildcards`. */
function quality(accept: string, type: string, wildcards: boolean): number {
  const [major] = type.split('/');
  let best = 0;
  let bestSpecificity = -1;
  for (const range of accept.split(',')) {
    const [media, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (!media) continue;
    const specificity = media === type ? 2 : wildcards && media === `${major}/*` ? 1 : wildcards && media === '*/*' ? 0 : -1;
    if (specificity < 0 || specificity < bestSpecificity) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const value = Number.isFinite(q) ? Math.min(1, Math.max(0, q)) : 0;
    // The most specific range decides (RFC 9110 §12.5.1); among equals, the highest q.
    if (specificity > bestSpecificity || value > best) best = value;
    bestSpecificity = specificity;
  }
  return best;
}

/**
 * Whether `accept` asks for one of `alternatives` (named explicitly: a wildcard alone means JSON,
 * the default) at least as much as it asks for JSON.
 */
export function prefersOver(accept: string | undefined, alternatives: readonly string[]): boolean {
  if (!accept) return false;
  const wanted = Math.max(...alternatives.map((type) => quality(accept, type, false)));
  return wanted > 0 && wanted >= quality(accept, 'application/json', true);
}

export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson'] as const;
export const CSV_TYPES = ['text/csv'] as const;
