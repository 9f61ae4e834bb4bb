// Fetches what a page of stored events needs to become NewsEvents (the catalogue's
// toNewsEvent): the events its corrections are about, two levels deep.
import { correctionTarget } from '../../catalogue/catalogue.js';
import type { StoredEnvelope } from '../../event-store/event-store.js';

/** The ids a page of events needs looked up beyond itself, to resolve its corrections. */
function missingTargets(page: StoredEnvelope[], known: (id: string) => boolean): string[] {
  return page.map(correctionTarget).filter((id): id is string => Boolean(id) && !known(id!));
}

/**
 * A page's events by id, with the events its corrections refer to fetched by `fetch`, for
 * toNewsEvent's lookup. Two rounds: a correction's target, and the target of a retracted
 * correction.
 */
export async function withTargets(page: StoredEnvelope[], fetch: (ids: string[]) => Promise<StoredEnvelope[]>): Promise<Map<string, StoredEnvelope>> {
  const byId = new Map(page.map((e) => [e.id, e]));
  for (let round = 0; round < 2; round++) {
    const missing = missingTargets([...byId.values()], (id) => byId.has(id));
    if (missing.length === 0) break;
    for (const e of await fetch(missing)) byId.set(e.id, e);
  }
  return byId;
}
