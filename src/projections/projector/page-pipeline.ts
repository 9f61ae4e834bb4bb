// The projector's page pipeline (owns: applying the log past the checkpoints, a page at a time —
// read, fold, write — with the documents and each projection's checkpoint committed together, so
// after a crash nothing is lost or applied twice). On a long catch-up the three overlap.
import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { NewsEvent } from '../../catalogue/news-event.js';
import { toNewsEvent } from '../../catalogue/stored-event.js';
import type { EventStore, StoredEnvelope } from '../../event-store/event-store.js';
import type { DocStore, DocWrite } from './doc-store.js';
import { LostOwnership, type Generations, type Runner } from './generations.js';
import { withTargets } from './news-events.js';

const PAGE = 2500;
/** Pages creating this many documents write them with COPY; small live pages keep one INSERT. */
const COPY_FROM = 500;
/** Derived documents remembered per runner (see PagePipeline.remember): bounded, whatever the log's length. */
const RECENT_DERIVED = 20_000;

/** An event this projection could not fold: recorded and passed over, never retried for ever. */
export interface Quarantined {
  eventId: string;
  position: number;
  reason: string;
}

interface Folded {
  runner: Runner;
  overlay: Map<string, unknown>;
  quarantined: Quarantined[];
  /** Keys the generation did not hold before this page. */
  created: Set<string>;
  checkpoint: number;
}

function quarantine(e: StoredEnvelope, error: unknown): Quarantined {
  return { eventId: e.id, position: e.position, reason: error instanceof Error ? error.message : String(error) };
}

/** A promise awaited later, not now: its failure must not count as unhandled in the meantime. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

export class PagePipeline {
  private readonly recent = new WeakMap<Runner, Map<string, unknown>>();

  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
    private readonly docStore: DocStore,
    private readonly generations: Generations,
    private readonly logger: Logger,
    /** Whether to read ahead: false once the projector is stopping. */
    private readonly running: () => boolean,
  ) {}

  /**
   * Applies what the log holds past the checkpoints; returns how many events it applied. On a
   * long catch-up (a rebuild) the next page is read while this one is folded, and folded while
   * the previous one is written: the log read, the fold and PostgreSQL's writes overlap. One
   * write is in flight at a time, so checkpoints still advance in order.
   */
  async step(runners: Runner[]): Promise<number> {
    let applied = 0;
    let next = this.store.readEnvelopes({ after: Math.min(...runners.map((r) => r.state.checkpoint)), limit: PAGE });
    let writing: Promise<void> = Promise.resolve();
    let inFlight = new Map<Runner, Map<string, unknown>>();
    try {
      for (;;) {
        const page = await next;
        if (page.length === 0) break;
        next = page.length === PAGE && this.running() ? settledLater(this.store.readEnvelopes({ after: page[page.length - 1].position, limit: PAGE })) : Promise.resolve([]);
        const started = performance.now();
        const folded = await this.fold(runners, page, inFlight);
        const foldMs = performance.now() - started;
        await writing;
        writing = settledLater(this.commit(runners, folded, page.length, foldMs));
        inFlight = new Map(folded.map((f) => [f.runner, f.overlay]));
        applied += page.length;
      }
      await writing;
    } finally {
      await Promise.allSettled([writing, next]);
    }
    if (applied === 0) await this.generations.switchCaughtUp(runners, true);
    return applied;
  }

  /**
   * Folds a page into each projection's changed documents. A document is read from this page's
   * overlay, else from the page being written (`inFlight`), else from the database, where every
   * earlier page has committed.
   */
  private async fold(runners: Runner[], page: StoredEnvelope[], inFlight: Map<Runner, Map<string, unknown>>): Promise<Folded[]> {
    const lookup = await withTargets(page, (ids) => this.store.getEnvelopesByIds(ids));
    const events: { stored: StoredEnvelope; news: NewsEvent }[] = [];
    const unreadable: Quarantined[] = [];
    for (const e of page) {
      try {
        events.push({ stored: e, news: toNewsEvent(e, (id) => lookup.get(id)) });
      } catch (error) {
        unreadable.push(quarantine(e, error));
      }
    }
    const last = page[page.length - 1].position;
    return Promise.all(
      runners.map(async (runner) => {
        const todo = events.filter(({ stored }) => stored.position > runner.state.checkpoint);
        const quarantined = unreadable.filter((q) => q.position > runner.state.checkpoint);
        const writing = inFlight.get(runner) ?? new Map<string, unknown>();
        // Only the documents this page's events read are loaded: memory stays flat as the log grows.
        const wanted = new Set(todo.flatMap(({ news }) => runner.projection.reads(news)));
        const loaded = await this.loadWanted(runner, [...wanted].filter((key) => !writing.has(key)), (todo[0]?.stored.position ?? last + 1) - 1);
        const overlay = new Map<string, unknown>();
        const reader = {
          get: (key: string) => {
            if (overlay.has(key)) return overlay.get(key);
            if (!wanted.has(key)) throw new Error(`${runner.projection.name} read ${key} without declaring it in reads()`);
            return writing.has(key) ? writing.get(key) : loaded.get(key);
          },
        };
        for (const { stored, news } of todo) {
          // A fold that throws has changed nothing (it returns its changes); the event is set
          // aside for operators to see, and the projection goes on with the rest of the log.
          let changes: Map<string, unknown>;
          try {
            changes = runner.projection.evolve(reader, news);
          } catch (error) {
            quarantined.push(quarantine(stored, error));
            continue;
          }
          for (const [key, doc] of changes) overlay.set(key, doc);
        }
        this.remember(runner, overlay);
        for (const q of quarantined) this.logger.error(`${runner.projection.name}: event ${q.eventId} (position ${q.position}) quarantined: ${q.reason}`);
        // What no event declared it reads is new to the generation (see Projection.reads).
        const created = new Set([...overlay.keys()].filter((key) => !wanted.has(key) && !writing.has(key)));
        return { runner, overlay, quarantined, created, checkpoint: Math.max(runner.state.checkpoint, last) };
      }),
    );
  }

  /**
   * The documents a page reads that the previous page is not still writing: stored ones from the
   * generation, derived ones (Projection.derived) folded again from the log as of the position
   * before the page's first event — where every earlier page has left them.
   */
  private async loadWanted(runner: Runner, keys: string[], upTo: number): Promise<Map<string, unknown>> {
    const { projection, state } = runner;
    const derived = projection.derived;
    if (!derived) return this.docStore.load<unknown>(projection.name, state.generation, keys);
    const stored = this.docStore.load<unknown>(projection.name, state.generation, keys.filter((key) => !derived.has(key)));
    // A derived document without facets leaves nothing to write (the timeline's): what a
    // correction would change of it is never read, so it is not folded again either.
    if (!projection.facets) return stored;
    const recent = this.recent.get(runner);
    const wanted = keys.filter((key) => derived.has(key));
    const [docs, refolded] = await Promise.all([stored, derived.fromLog(this.store, wanted.filter((key) => !recent?.has(key)), upTo)]);
    for (const key of wanted) if (recent?.has(key)) docs.set(key, recent.get(key));
    for (const [key, doc] of refolded) docs.set(key, doc);
    return docs;
  }

  /**
   * Keeps the derived documents a page made or changed, the latest RECENT_DERIVED of them per
   * runner: corrections mostly follow soon after what they correct, so a rebuild finds their
   * targets here instead of folding them again from the log. Only while this runner lives: a
   * reload or a failure makes new runners, with nothing remembered.
   */
  private remember(runner: Runner, overlay: Map<string, unknown>): void {
    const derived = runner.projection.derived;
    if (!derived || !runner.projection.facets) return;
    const recent = this.recent.get(runner) ?? this.recent.set(runner, new Map()).get(runner)!;
    for (const [key, doc] of overlay) {
      if (!derived.has(key)) continue;
      recent.delete(key);
      recent.set(key, doc);
    }
    for (const key of recent.keys()) {
      if (recent.size <= RECENT_DERIVED) break;
      recent.delete(key);
    }
  }

  /**
   * Writes the projections' documents with their checkpoints. A live page (a few events) writes
   * every projection in one transaction; a long catch-up writes each in its own, side by side,
   * so that PostgreSQL gets both cores for the part that dominates a page.
   */
  private async commit(runners: Runner[], folded: Folded[], events: number, foldMs: number): Promise<void> {
    const started = performance.now();
    const bulk = folded.some((f) => f.created.size >= COPY_FROM);
    await (bulk ? Promise.all(folded.map((f) => this.commitTogether([f]))) : this.commitTogether(folded));
    // LOG_LEVEL=debug shows where a page's time goes (what bench/README.md's profile is made of).
    this.logger.debug(`page of ${events}: load+fold ${foldMs.toFixed(0)} ms, write ${(performance.now() - started).toFixed(0)} ms, ${folded.reduce((n, f) => n + f.overlay.size, 0)} documents`);
    await this.generations.switchCaughtUp(runners, false);
  }

  private async commitTogether(folded: Folded[]): Promise<void> {
    // New keys of a big page go by COPY; the rest (and every key of a small page) by upsert.
    const docs = folded.flatMap(({ runner: { projection, state }, overlay, created }) => {
      const copy = created.size >= COPY_FROM;
      return [...overlay].map(([key, doc]) => ({
        write: {
          projection: projection.name,
          generation: state.generation,
          key,
          doc,
          stored: !projection.derived?.has(key),
          facets: projection.facets?.(key, doc) ?? [],
        } satisfies DocWrite,
        copy: copy && created.has(key),
      }));
    });
    await this.db.transaction(async (m) => {
      // Read models can always be rebuilt from the log, and the checkpoint commits with them,
      // so a crash only loses whole pages, applied again later: no need to wait for fsync.
      await m.query('SET LOCAL synchronous_commit = off');
      await this.docStore.copyNew(m, docs.filter((d) => d.copy).map((d) => d.write));
      await this.docStore.write(m, docs.filter((d) => !d.copy).map((d) => d.write));
      await this.docStore.quarantine(m, folded.flatMap((f) => f.quarantined.map((q) => ({ projection: f.runner.projection.name, ...q }))));
      const advanced = await this.docStore.advance(
        m,
        folded.map((f) => ({ projection: f.runner.projection.name, generation: f.runner.state.generation, from: f.runner.state.checkpoint, to: f.checkpoint })),
      );
      if (advanced !== folded.length) throw new LostOwnership(`${folded.map((f) => f.runner.projection.name).join(', ')} advanced by another projector`);
    });
    for (const { runner, checkpoint } of folded) {
      const active = runner.state.generation === runner.state.activeGeneration;
      runner.state = { ...runner.state, checkpoint, activeCheckpoint: active ? checkpoint : runner.state.activeCheckpoint };
    }
  }

}
