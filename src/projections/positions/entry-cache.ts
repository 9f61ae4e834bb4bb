// A reader-side cache of the positions entries, kept per actor in occurrence order. Each read
// asks PostgreSQL only for what changed since the cache's checkpoint (usually nothing), so a
// time-travel query costs a pass over the actor's entries in memory instead of re-reading them.
import { byOccurrence } from '../evidence.js';
import type { DocStore } from '../projector/doc-store.js';
import { actorOfKey, type ActorEntry, type PositionsDoc } from './positions.fold.js';

export class EntryCache {
  private generation = -1;
  private checkpoint = -1;
  private readonly byActor = new Map<string, Map<string, ActorEntry>>();
  private readonly sorted = new Map<string, ActorEntry[]>();
  private refreshing?: Promise<void>;

  constructor(private readonly docs: DocStore) {}

  /** The actor's entries in occurrence order, as of the latest checkpoint readers may see. */
  async entries(actor: string): Promise<readonly ActorEntry[]> {
    await this.refresh();
    let list = this.sorted.get(actor);
    if (!list) {
      list = [...(this.byActor.get(actor)?.values() ?? [])].sort(byOccurrence);
      this.sorted.set(actor, list);
    }
    return list;
  }

  private refresh(): Promise<void> {
    // One refresh at a time; concurrent readers share it.
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const changed = await this.docs.activeChangedSince<PositionsDoc>('positions', '', this.checkpoint);
    if (changed.generation !== this.generation) {
      // A rebuild switched readers to a new generation: start over from it.
      this.byActor.clear();
      this.sorted.clear();
      this.generation = changed.generation;
      this.checkpoint = -1;
      return this.load();
    }
    for (const { key, doc } of changed.docs) {
      if (key.startsWith('~')) continue;
      const actor = actorOfKey(key);
      (this.byActor.get(actor) ?? this.byActor.set(actor, new Map()).get(actor)!).set(key, doc as ActorEntry);
      this.sorted.delete(actor);
    }
    this.checkpoint = Math.max(this.checkpoint, changed.checkpoint);
  }
}
