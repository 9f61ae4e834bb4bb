// The projector (owns: keeping every read model up to date with the log). It follows the store
// past the transaction fence, folds each page into documents held in memory, and writes the
// changed documents together with each projection's checkpoint in one transaction, so after a
// crash nothing is lost or applied twice. One server at a time runs it, under a PostgreSQL
// advisory lock held by its LISTEN connection: if that server dies, another takes over.
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { EventStore, type StoredEvent } from '../../event-store/event-store.js';
import { PROJECTIONS } from '../all-projections.js';
import type { Projection } from '../projection.js';
import { DocStore, type ProjectionState } from './doc-store.js';
import { missingTargets, toNewsEvent } from './news-events.js';

export const DATABASE_URL = Symbol('DATABASE_URL');
const LOCK_KEY = 7_316_442_011; // any constant shared by every server of one database
const PAGE = 2500;
const POLL_MS = 250;

interface Runner {
  projection: Projection<unknown>;
  state: ProjectionState;
}

class LostOwnership extends Error {}

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
      await m.query(`UPDATE projection_state SET version = $2, generation = $3, checkpoint = 0, updated_at = now() WHERE projection = $1`, [state.projection, version, generation]);
    });
    return { ...state, version, generation, checkpoint: 0 };
  }

  /** Applies one page of the log; returns how many events it applied. */
  private async step(): Promise<number> {
    const from = Math.min(...this.runners.map((r) => r.state.checkpoint));
    const page = await this.store.read({ after: from, limit: PAGE });
    if (page.length === 0) {
      await this.switchCaughtUpGenerations(true);
      await this.reloadIfChangedElsewhere();
      return 0;
    }
    const timings = { read: performance.now(), fold: 0, write: 0 };
    const lookup = await this.lookupFor(page);
    timings.read = performance.now() - timings.read;
    timings.fold = performance.now();
    const events = page.map((e) => ({ stored: e, news: toNewsEvent(e, (id) => lookup.get(id)) }));
    const last = page[page.length - 1].position;

    const pending = await Promise.all(
      this.runners.map(async (runner) => {
        const todo = events.filter(({ stored }) => stored.position > runner.state.checkpoint);
        // Only the documents this page's events read are loaded: memory stays flat as the log grows.
        const wanted = [...new Set(todo.flatMap(({ news }) => runner.projection.reads(news)))];
        const loaded = await this.docStore.load<unknown>(runner.projection.name, runner.state.generation, wanted);
        const readable = new Set(wanted);
        const overlay = new Map<string, unknown>();
        const reader = {
          get: (key: string) => {
            if (overlay.has(key)) return overlay.get(key);
            if (!readable.has(key)) throw new Error(`${runner.projection.name} read ${key} without declaring it in reads()`);
            return loaded.get(key);
          },
        };
        for (const { news } of todo) {
          for (const [key, doc] of Object.entries(runner.projection.evolve(reader, news))) overlay.set(key, doc);
        }
        return { runner, overlay, checkpoint: Math.max(runner.state.checkpoint, last) };
      }),
    );

    timings.fold = performance.now() - timings.fold;
    timings.write = performance.now();
    // Each projection commits its documents with its own checkpoint, so the projections can be
    // written side by side: PostgreSQL gets both cores for the part that dominates a page.
    await Promise.all(
      pending.map(({ runner, overlay, checkpoint }) =>
        this.db.transaction(async (m) => {
          // Read models can always be rebuilt from the log, and the checkpoint commits with them,
          // so a crash only loses whole pages, applied again later: no need to wait for fsync.
          await m.query('SET LOCAL synchronous_commit = off');
          const docs = [...overlay].map(([key, doc]) => ({ key, doc, sortKey: runner.projection.sortKey?.(key, doc) ?? null }));
          await this.docStore.write(m, runner.projection.name, runner.state.generation, checkpoint, docs);
          const result = await m.queryRunner!.query(
            `UPDATE projection_state
                SET checkpoint = $2,
                    active_checkpoint = CASE WHEN generation = active_generation THEN $2 ELSE active_checkpoint END,
                    updated_at = now()
              WHERE projection = $1 AND generation = $3 AND checkpoint = $4`,
            [runner.projection.name, checkpoint, runner.state.generation, runner.state.checkpoint],
            true,
          );
          if (result.affected !== 1) throw new LostOwnership(`${runner.projection.name} was advanced by another projector`);
        }),
      ),
    );
    timings.write = performance.now() - timings.write;
    // LOG_LEVEL=debug shows where a page's time goes (what bench/README.md's profile is made of).
    this.logger.debug(`page of ${page.length}: read ${timings.read.toFixed(0)} ms, load+fold ${timings.fold.toFixed(0)} ms, write ${timings.write.toFixed(0)} ms, ${pending.reduce((n, p) => n + p.overlay.size, 0)} documents`);
    for (const { runner, checkpoint } of pending) {
      const active = runner.state.generation === runner.state.activeGeneration;
      runner.state = { ...runner.state, checkpoint, activeCheckpoint: active ? checkpoint : runner.state.activeCheckpoint };
    }
    await this.switchCaughtUpGenerations(false);
    return page.length;
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
    for (const runner of this.runners) {
      const s = runner.state;
      if (s.generation === s.activeGeneration) continue;
      if (!atHead && s.checkpoint < s.activeCheckpoint) continue;
      await this.db.transaction(async (m) => {
        const switched = await m.queryRunner!.query(
          `UPDATE projection_state SET active_generation = generation, active_checkpoint = checkpoint, updated_at = now() WHERE projection = $1 AND generation = $2 AND checkpoint = $3`,
          [s.projection, s.generation, s.checkpoint],
          true,
        );
        if (switched.affected !== 1) throw new LostOwnership(`${s.projection} changed under the projector`);
        await m.query(`DELETE FROM projection_docs WHERE projection = $1 AND generation <> $2`, [s.projection, s.generation]);
      });
      runner.state = { ...s, activeGeneration: s.generation, activeCheckpoint: s.checkpoint };
      this.logger.log(`${s.projection}: rebuilt generation ${s.generation} is now live at position ${s.checkpoint}`);
    }
  }

  private async lookupFor(page: StoredEvent[]): Promise<Map<string, StoredEvent>> {
    const byId = new Map(page.map((e) => [e.id, e]));
    // Two rounds: a correction's target, and the target of a retracted correction.
    for (let round = 0; round < 2; round++) {
      const missing = missingTargets([...byId.values()], (id) => byId.has(id));
      if (missing.length === 0) break;
      for (const e of await this.store.getByIds(missing)) byId.set(e.id, e);
    }
    return byId;
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
