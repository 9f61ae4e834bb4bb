// A reader-side cache of one projection's active documents, grouped (e.g. per actor) and kept
// sorted. Each read asks PostgreSQL only for what changed since the cache's checkpoint (usually
// nothing), so a time-travel query costs a pass over documents in memory, not a re-read.
import type { DocStore, ProjectionState } from './projector/doc-store.js';
import { partSharer } from './shared-parts.js';

const STALENESS_MS = 5;

/**
 * One look at every projection's state, shared by a reader's caches: the caches refreshing
 * together (GET /positions reads positions and proposals) cost one query, not one each, and
 * only a cache whose projection moved asks for documents.
 */
export class ActiveStates {
  private looking?: Promise<Map<string, ProjectionState>>;

  constructor(readonly docs: DocStore) {}

  current(): Promise<Map<string, ProjectionState>> {
    return (this.looking ??= this.docs.states().finally(() => (this.looking = undefined)));
  }
}

export class DocCache<D> {
  private generation = -1;
  private checkpoint = -1;
  private readonly groups = new Map<string, Map<string, D>>();
  private readonly sorted = new Map<string, D[]>();
  private refreshing?: Promise<void>;
  private refreshedAt = 0;

  constructor(
    private readonly states: ActiveStates,
    private readonly projection: string,
    /** Which group a key belongs to; undefined leaves the document out. */
    private readonly groupOf: (key: string) => string | undefined,
    private readonly order: (a: D, b: D) => number,
  ) {}

  /** A group's documents in order, as of the latest checkpoint readers may see. */
  async group(name: string): Promise<readonly D[]> {
    await this.refresh();
    let list = this.sorted.get(name);
    if (!list) {
      list = [...(this.groups.get(name)?.values() ?? [])].sort(this.order);
      this.sorted.set(name, list);
    }
    return list;
  }

  /** Brings the cache up to date; `peek` then reads it without waiting. */
  ready(): Promise<void> {
    return this.refresh();
  }

  peek(name: string, key: string): D | undefined {
    return this.groups.get(name)?.get(key);
  }

  /** The log position the cached documents reflect. */
  get position(): number {
    return Math.max(0, this.checkpoint);
  }

  /** Identifies what the cache holds: answers computed from the same version are the same. */
  get version(): string {
    return `${this.generation}:${this.checkpoint}`;
  }

  private refresh(): Promise<void> {
    // One refresh at a time, shared by concurrent readers; under load, at most one per
    // STALENESS_MS (well inside the time a write takes to be projected anyway).
    if (!this.refreshing && performance.now() - this.refreshedAt < STALENESS_MS) return Promise.resolve();
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
      this.refreshedAt = performance.now();
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const state = (await this.states.current()).get(this.projection);
    if (state && state.activeGeneration === this.generation && state.activeCheckpoint <= this.checkpoint) return;
    const changed = await this.states.docs.activeChangedSince<D>(this.projection, this.checkpoint);
    if (changed.generation !== this.generation) {
      // A rebuild switched readers to a new generation: start over from it.
      this.groups.clear();
      this.sorted.clear();
      this.generation = changed.generation;
      this.checkpoint = -1;
      return this.load();
    }
    const share = partSharer();
    for (const { key, doc } of changed.docs) {
      const name = this.groupOf(key);
      if (name === undefined) continue;
      (this.groups.get(name) ?? this.groups.set(name, new Map()).get(name)!).set(key, share(doc));
      this.sorted.delete(name);
    }
    this.checkpoint = Math.max(this.checkpoint, changed.checkpoint);
  }
}
