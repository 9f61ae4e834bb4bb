// Documents folded again from the log (owns: turning the keys of a projection's derived documents
// back into documents). Positions' entries and timeline entries are not stored — only what readers
// find them by — because each is exactly what its fold makes of one event as corrected since: the
// ones an answer rests on (or a correction updates) are folded again, by the same fold, from the
// few events they come from: the event itself, the earlier versions of the proposal it answers, and
// the corrections about it. Read by id through the log's indexes, so the cost follows how many
// documents are asked for, not the log's length.
import { toNewsEvent } from '../catalogue/stored-event.js';
import type { NewsEvent } from '../catalogue/news-event.js';
import type { StoredEnvelope } from '../event-store/event-store.js';
import type { Changes, DocReader, LogByIds } from './projection.js';

/**
 * How a projection folds its derived documents again: `evolve` is its fold, `eventOf` names the
 * event a key's document comes from. The result gives the documents at `keys` as the fold had
 * them once it had folded the log up to position `upTo`; a key whose event is not in the log up
 * to there, or that the fold set aside (it threw, and the projector quarantined it), is left out,
 * as the projection left it out.
 */
export function derivedFromLog<D>(evolve: (docs: DocReader<D>, event: NewsEvent) => Changes<D>, eventOf: (key: string) => string) {
  return async (log: LogByIds, keys: string[], upTo: number): Promise<Map<string, D>> => {
    if (keys.length === 0) return new Map();
    const ids = [...new Set(keys.map(eventOf))];
    const events = (await log.getEnvelopesByIds(ids)).filter((e) => e.position <= upTo);
    const answered = [...new Set(events.filter((e) => e.type === 'ProposalResponded').map((e) => (e.data as { proposalId: string }).proposalId))];
    const [corrections, versions] = await Promise.all([log.correctionsOf(events.map((e) => e.id), upTo), log.proposalVersions(answered, upTo)]);
    // A retracted corroboration or dispute lifts what it added: the retraction is about the correction.
    const ofCorrections = await log.correctionsOf(corrections.filter((c) => c.type !== 'ReportRetracted').map((c) => c.id), upTo);

    const byId = new Map<string, StoredEnvelope>();
    for (const e of [...events, ...corrections, ...ofCorrections, ...versions]) byId.set(e.id, e);
    const docs = new Map<string, D>();
    const reader = { get: (key: string) => docs.get(key) };
    for (const e of [...byId.values()].sort((a, b) => a.position - b.position)) {
      try {
        for (const [key, doc] of evolve(reader, toNewsEvent(e, (id) => byId.get(id)))) docs.set(key, doc);
      } catch {
        // What the fold cannot take it set aside when projecting too: it changed nothing there either.
      }
    }
    const found = new Map<string, D>();
    for (const key of keys) {
      const doc = docs.get(key);
      if (doc !== undefined) found.set(key, doc);
    }
    return found;
  };
}
