// Turns stored events into the typed events the folds take, attaching the event a correction
// is about (two levels: a retracted corroboration needs the event it corroborated).
import { correctionTarget } from '../../catalogue/catalogue.js';
import type { NewsEvent } from '../../catalogue/news-event.js';
import type { StoredEnvelope } from '../../event-store/event-store.js';
import { envelopeOf } from '../../events/event-representation.js';

export const targetIdOf = (e: StoredEnvelope): string | undefined => correctionTarget(e);

export function toNewsEvent(e: StoredEnvelope, lookup: (id: string) => StoredEnvelope | undefined): NewsEvent {
  // Filled in place, not spread into a new object: a rebuild builds one per event.
  const news = Object.assign(envelopeOf(e), { stamp: { occurred: e.occurredAt.getTime(), reported: e.reportedAt.getTime(), position: e.position } });
  const targetId = targetIdOf(e);
  if (!targetId) return news as NewsEvent;
  const target = lookup(targetId);
  if (!target) throw new Error(`event ${e.id} refers to ${targetId}, which is not in the log`);
  return Object.assign(news, { target: toNewsEvent(target, lookup) }) as NewsEvent;
}

/** The ids a page of events needs looked up beyond itself, to resolve its corrections. */
function missingTargets(page: StoredEnvelope[], known: (id: string) => boolean): string[] {
  return page.map(targetIdOf).filter((id): id is string => Boolean(id) && !known(id!));
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
