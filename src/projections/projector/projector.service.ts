// The projector (owns: keeping every read model up to date with the log). It follows the store
// past the transaction fence, folds each page into documents held in memory, and writes the
// changed documents together with each projection's checkpoint in one transaction, so after a
// crash nothing is lost or applied twice. One server at a time runs it, under a PostgreSQL
// advisory lock held by its LISTEN connection: if that server dies, another takes over.
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { EventStore, type StoredEnvelope } from '../../event-store/event-store.js';
import { PROJECTIONS } from '../all-projections.js';
import type { Projection } from '../projection.js';
import { DocStore, type DocWrite, type ProjectionState } from './doc-store.js';
import { withTargets } from './news-events.js';
import { toNewsEvent } from '../../catalogue/stored-event.js';
import type { NewsEvent } from '../../catalogue/news-event.js';

export const DATABASE_URL = Symbol('DATABASE_URL');
const LOCK_KEY = 7_316_442_011; // any constant shared by every server of one database
const PAGE = 2500;
/** Pages creating this many documents write them with COPY; small live pages keep one INSERT. */
const COPY_FROM = 500;
const POLL_MS = 250;
/**
 * Under a stream of appends a page of a handful of events costs nearly as much as one of a
 * hundred (a read, a transaction, a commit): after a small page the loop waits this long so the
 * next one gathers more. It adds at most this much to the time an append takes to show.
 */
const GATHER_MS = 4;
const GATHER_BELOW = 64;

interface Runner {
  projection: Projection<unknown>;
  state: ProjectionState;
}

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

class LostOwnership extends Error {}

function quarantine(e: StoredEnvelope, error: unknown): Quarantined {
  return { eventId: e.id, position: e.position, reason: error instanceof Error ? error.message : String(error) };
}

/** A promise awaited later, not now: its failure must not count as unhandled in the meantime. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

@Injectable()
export class Projector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projector');
  private readonly docStore: DocStore;
  private runners: Runner[] = [];
  private lockClient?: pg.Client;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly idleWaiters = new Set<() => void>();
  /** An append arrived while a page was being applied: look again before sleeping. */
  private poked = false;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(DATABASE_URL) private readonly url: string,
  ) {
    this.docStore = new DocStore(db);
  }

  get isLeader(): boolean {
    return this.lockClient !== undefined;
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.releaseLead();
  }

  /** Wakes the loop now (after an append on this server) instead of on the next poll. */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.isLeader && !(await this.tryLead())) {
          await this.sleep(2000);
          continue;
        }
        this.poked = false;
        const applied = await this.step();
        if (applied === 0 && !this.poked) {
          for (const done of this.idleWaiters) done();
          this.idleWaiters.clear();
          await this.sleep(POLL_MS);
        } else if (applied < GATHER_BELOW && this.poked) {
          await new Promise((resolve) => setTimeout(resolve, GATHER_MS));
        }
      } catch (error) {
        if (!this.running) break;
        this.logger.warn(`projector paused: ${(error as Error).message}`);
        await this.releaseLead(); // reload state from the database on the next turn
        await this.sleep(1000);
      }
    }
  }

  private async tryLead(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'standpoint-projector' });
    client.on('error', () => void this.releaseLead());
    try {
      await client.connect();
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY]);
      if (!rows[0].locked) {
        await client.end();
        return false;
      }
      await client.query('LISTEN events_appended');
      client.on('notification', () => this.wake?.());
      client.on('end', () => void this.releaseLead());
      this.lockClient = client;
      await this.loadRunners();
      this.logger.log(`projecting from position ${Math.min(...this.runners.map((r) => r.state.checkpoint))}`);
      return true;
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  }

  private async releaseLead(): Promise<void> {
    const client = this.lockClient;
    this.lockClient = undefined;
    this.runners = [];
    await client?.end().catch(() => {});
  }

  /** Reads each projection's state, starting a rebuild for any whose fold version changed. */
  private async loadRunners(): Promise<void> {
    const states = await this.docStore.states();
    const runners: Runner[] = [];
    for (const projection of PROJECTIONS) {
      let state = states.get(projection.name);
      if (!state) {
        await this.db.query(
          `INSERT INTO projection_state (projection, version, generation, checkpoint, active_generation, active_checkpoint) VALUES ($1, $2, 1, 0, 1, 0) ON CONFLICT DO NOTHING`,
          [projection.name, projection.version],
        );
        state = { projection: projection.name, version: projection.version, generation: 1, checkpoint: 0, activeGeneration: 1, activeCheckpoint: 0 };
      } else if (state.version !== projection.version) {
        this.logger.log(`${projection.name}: fold version ${state.version} → ${projection.version}, rebuilding`);
        state = await this.startGeneration(state, projection.version);
      }
      runners.push({ projection, state });
    }
    this.runners = runners;
  }

  private async startGeneration(state: ProjectionState, version: number): Promise<ProjectionState> {
    const generation = Math.max(state.generation, state.activeGeneration) + 1;
    await this.db.transaction(async (m) => {
      await m.query(`DELETE FROM projection_docs WHERE projection = $1 AND generation >= $2`, [state.projection, generation]);
      await m.query(`DELETE FROM projection_facets WHERE projection = $1 AND generation >= $2`, [state.projection, generation]);
      await m.query(`DELETE FROM quarantined_events WHERE projection = $1`, [state.projection]); // the new generation finds them again
      await m.query(`UPDATE projection_state SET version = $2, generation = $3, checkpoint = 0, updated_at = now() WHERE projection = $1`, [state.projection, version, generation]);
    });
    return { ...state, version, generation, checkpoint: 0 };
  }

  /**
   * Applies what the log holds past the checkpoints; returns how many events it applied. On a
   * long catch-up (a rebuild) the next page is read while this one is folded, and folded while
   * the previous one is written: the log read, the fold and PostgreSQL's writes overlap. One
   * write is in flight at a time, so checkpoints still advance in order.
   */
  private async step(): Promise<number> {
    let applied = 0;
    let next = this.store.readEnvelopes({ after: Math.min(...this.runners.map((r) => r.state.checkpoint)), limit: PAGE });
    let writing: Promise<void> = Promise.resolve();
    let inFlight = new Map<Runner, Map<string, unknown>>();
    try {
      for (;;) {
        const page = await next;
        if (page.length === 0) break;
        next = page.length === PAGE && this.running ? settledLater(this.store.readEnvelopes({ after: page[page.length - 1].position, limit: PAGE })) : Promise.resolve([]);
        const started = performance.now();
        const folded = await this.fold(page, inFlight);
        const foldMs = performance.now() - started;
        await writing;
        writing = settledLater(this.commit(folded, page.length, foldMs));
        inFlight = new Map(folded.map((f) => [f.runner, f.overlay]));
        applied += page.length;
      }
      await writing;
    } finally {
      await Promise.allSettled([writing, next]);
    }
    if (applied === 0) {
      await this.switchCaughtUpGenerations(true);
      await this.reloadIfChangedElsewhere();
    }
    return applied;
  }

  /**
   * Folds a page into each projection's changed documents. A document is read from this page's
   * overlay, else from the page being written (`inFlight`), else from the database, where every
   * earlier page has committed.
   */
  private async fold(page: StoredEnvelope[], inFlight: Map<Runner, Map<string, unknown>>): Promise<Folded[]> {
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
      this.runners.map(async (runner) => {
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
    const [stored, refolded] = await Promise.all([
      this.docStore.load<unknown>(projection.name, state.generation, keys.filter((key) => !derived.has(key))),
      derived.fromLog(this.store, keys.filter((key) => derived.has(key)), upTo),
    ]);
    for (const [key, doc] of refolded) stored.set(key, doc);
    return stored;
  }

  /**
   * Writes the projections' documents with their checkpoints. A live page (a few events) writes
   * every projection in one transaction; a long catch-up writes each in its own, side by side,
   * so that PostgreSQL gets both cores for the part that dominates a page.
   */
  private async commit(folded: Folded[], events: number, foldMs: number): Promise<void> {
    const started = performance.now();
    const bulk = folded.some((f) => f.created.size >= COPY_FROM);
    await (bulk ? Promise.all(folded.map((f) => this.commitTogether([f]))) : this.commitTogether(folded));
    // LOG_LEVEL=debug shows where a page's time goes (what bench/README.md's profile is made of).
    this.logger.debug(`page of ${events}: load+fold ${foldMs.toFixed(0)} ms, write ${(performance.now() - started).toFixed(0)} ms, ${folded.reduce((n, f) => n + f.overlay.size, 0)} documents`);
    await this.switchCaughtUpGenerations(false);
  }

  private async commitTogether(folded: Folded[]): Promise<void> {
    // New keys of a big page go by COPY; the rest (and every key of a small page) by upsert.
    const docs = folded.flatMap(({ runner: { projection, state }, overlay, created, checkpoint }) => {
      const copy = created.size >= COPY_FROM;
      return [...overlay].map(([key, doc]) => ({
        write: {
          projection: projection.name,
          generation: state.generation,
          key,
          doc,
          stored: !projection.derived?.has(key),
          sortKey: projection.sortKey?.(key, doc) ?? null,
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
      const [, advanced] = await m.query(
        `UPDATE projection_state s
            SET checkpoint = u.c,
                active_checkpoint = CASE WHEN s.generation = s.active_generation THEN u.c ELSE s.active_checkpoint END,
                updated_at = now()
           FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[]) AS u(p, g, c, old)
          WHERE s.projection = u.p AND s.generation = u.g AND s.checkpoint = u.old`,
        [folded.map((f) => f.runner.projection.name), folded.map((f) => f.runner.state.generation), folded.map((f) => f.checkpoint), folded.map((f) => f.runner.state.checkpoint)],
      );
      if (advanced !== folded.length) throw new LostOwnership(`${folded.map((f) => f.runner.projection.name).join(', ')} advanced by another projector`);
    });
    for (const { runner, checkpoint } of folded) {
      const active = runner.state.generation === runner.state.activeGeneration;
      runner.state = { ...runner.state, checkpoint, activeCheckpoint: active ? checkpoint : runner.state.activeCheckpoint };
    }
  }

  /** A rebuild requested (on any server) shows up as projection state this projector did not write. */
  private async reloadIfChangedElsewhere(): Promise<void> {
    const states = await this.docStore.states();
    const stale = this.runners.some((r) => {
      const s = states.get(r.projection.name);
      return !s || s.generation !== r.state.generation || s.checkpoint !== r.state.checkpoint || s.activeGeneration !== r.state.activeGeneration;
    });
    if (stale) await this.loadRunners();
  }

  /**
   * A rebuilt generation replaces the one readers use once it has caught up: with the log, or
   * with the old generation (frozen while the rebuild runs), whichever comes first.
   */
  private async switchCaughtUpGenerations(atHead: boolean): Promise<void> {
    let switchedAny = false;
    for (const runner of this.runners) {
      const s = runner.state;
      if (s.generation === s.activeGeneration) continue;
      if (!atHead && s.checkpoint < s.activeCheckpoint) continue;
      const switched = await this.db.query(
        `UPDATE projection_state SET active_generation = generation, active_checkpoint = checkpoint, updated_at = now() WHERE projection = $1 AND generation = $2 AND checkpoint = $3`,
        [s.projection, s.generation, s.checkpoint],
      );
      // TypeORM answers an UPDATE with [rows, affected].
      if (switched[1] !== 1) throw new LostOwnership(`${s.projection} changed under the projector`);
      runner.state = { ...s, activeGeneration: s.generation, activeCheckpoint: s.checkpoint };
      this.logger.log(`${s.projection}: rebuilt generation ${s.generation} is now live at position ${s.checkpoint}`);
      switchedAny = true;
    }
    if (switchedAny) await this.sweepOldGenerations();
  }

  /**
   * Deletes the documents of generations nobody reads or writes any more. Done after the switch,
   * not in its transaction: readers move to the new generation without waiting for the delete.
   */
  private async sweepOldGenerations(): Promise<void> {
    for (const table of ['projection_docs', 'projection_facets']) {
      await this.db.query(`DELETE FROM ${table} d USING projection_state s WHERE d.projection = s.projection AND d.generation <> s.generation AND d.generation <> s.active_generation`);
    }
  }

  /**
   * Starts rebuilding every projection into a fresh generation. Readers keep the current one
   * until the new one has caught up; a projector holding stale state finds its checkpoint moved
   * and reloads. Safe to call on any server.
   */
  async requestRebuild(): Promise<{ projection: string; generation: number }[]> {
    const states = await this.docStore.states();
    const started: { projection: string; generation: number }[] = [];
    for (const projection of PROJECTIONS) {
      const state = states.get(projection.name);
      if (!state) continue;
      const next = await this.startGeneration(state, projection.version);
      started.push({ projection: projection.name, generation: next.generation });
    }
    await this.db.query(`SELECT pg_notify('events_appended', 'rebuild')`);
    this.wake?.();
    return started;
  }

  /** Resolves once the projector has nothing left to apply (for tests and rebuild callers). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.add(resolve);
      this.wake?.();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
