// Positions' entries folded again from the log (owns: turning entry keys back into entries).
// Entries are not stored — only their facets are — because an entry is exactly what the positions
// fold makes of one event, as corrected since: the entries an answer rests on (or a correction
// updates) are folded again, by the same fold, from the few events they come from: the event
// itself, the earlier versions of the proposal it answers, and the corrections about it. Read by
// id through indexes, so the cost follows how many entries are asked for, not the log's length.
import { toNewsEvent } from '../../catalogue/stored-event.js';
import type { StoredEnvelope } from '../../event-store/event-store.js';
import type { LogByIds } from '../projection.js';
import { evolvePositions, isEntryKey, type ActorEntry, type PositionsDoc } from './positions.fold.js';

const eventIdOf = (key: string) => key.slice(key.indexOf('/') + 1);

/**
 * The entries at `keys` as the positions fold had them once it had folded the log up to
 * position `upTo`. A key whose event is not in the log up to there, or that the fold set aside
 * (it threw, and the projector quarantined it), is left out, as the projection left it out.
 */
export async function entriesFromLog(log: LogByIds, keys: string[], upTo: number): Promise<Map<string, ActorEntry>> {
  if (keys.length === 0) return new Map();
  const ids = [...new Set(keys.map(eventIdOf))];
  const events = (await log.getEnvelopesByIds(ids)).filter((e) => e.position <= upTo);
  const answered = [...new Set(events.filter((e) => e.type === 'ProposalResponded').map((e) => (e.data as { proposalId: string }).proposalId))];
  const [corrections, versions] = await Promise.all([log.correctionsOf(events.map((e) => e.id), upTo), log.proposalVersions(answered, upTo)]);
  // A retracted corroboration or dispute lifts what it added: the retraction is about the correction.
  const ofCorrections = await log.correctionsOf(corrections.filter((c) => c.type !== 'ReportRetracted').map((c) => c.id), upTo);

  const byId = new Map<string, StoredEnvelope>();
  for (const e of [...events, ...corrections, ...ofCorrections, ...versions]) byId.set(e.id, e);
  const docs = new Map<string, PositionsDoc>();
  const reader = { get: (key: string) => docs.get(key) };
  for (const e of [...byId.values()].sort((a, b) => a.position - b.position)) {
    try {
      for (const [key, doc] of evolvePositions(reader, toNewsEvent(e, (id) => byId.get(id)))) docs.set(key, doc);
    } catch {
      // What the fold cannot take it set aside when projecting too: it changed nothing there either.
    }
  }
  const entries = new Map<string, ActorEntry>();
  for (const key of keys) {
    const doc = docs.get(key);
    if (doc && isEntryKey(key)) entries.set(key, doc as ActorEntry);
  }
  return entries;
}
