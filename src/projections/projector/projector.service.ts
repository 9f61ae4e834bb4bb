// The projector (owns: keeping every read model up to date with the log — the loop). One server
// at a time runs it, under the lock its Leadership holds; each turn the PagePipeline applies what
// the log holds past the checkpoints, and Generations starts, switches and sweeps rebuilds. It
// sleeps when there is nothing to apply, until an append is announced or POLL_MS passes.
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventStore } from '../../event-store/event-store.js';
import { DocStore } from './doc-store.js';
import { Generations, type Runner } from './generations.js';
import { Leadership } from './leadership.js';
import { PagePipeline } from './page-pipeline.js';

export const DATABASE_URL = Symbol('DATABASE_URL');
export type { Quarantined } from './page-pipeline.js';

const POLL_MS = 250;
/**
 * Under a stream of appends a page of a handful of events costs nearly as much as one of a
 * hundred (a read, a transaction, a commit): after a small page the loop waits this long so the
 * next one gathers more. It adds at most this much to the time an append takes to show.
 */
const GATHER_MS = 4;
const GATHER_BELOW = 64;

@Injectable()
export class Projector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projector');
  private readonly leadership: Leadership;
  private readonly generations: Generations;
  private readonly pipeline: PagePipeline;
  private runners: Runner[] = [];
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly idleWaiters = new Set<() => void>();
  /** An append arrived while a page was being applied: look again before sleeping. */
  private poked = false;

  constructor(
    @Inject(DataSource) db: DataSource,
    @Inject(EventStore) store: EventStore,
    @Inject(DATABASE_URL) url: string,
    @Inject(DocStore) docStore: DocStore,
  ) {
    this.leadership = new Leadership(url, () => this.wake?.(), () => void this.releaseLead());
    this.generations = new Generations(docStore, db, this.logger);
    this.pipeline = new PagePipeline(db, store, docStore, this.generations, this.logger, () => this.running);
  }

  get isLeader(): boolean {
    return this.leadership.held;
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
        if (!this.isLeader && !(await this.lead())) {
          await this.sleep(2000);
          continue;
        }
        this.poked = false;
        const applied = await this.pipeline.step(this.runners);
        if (applied === 0 && (await this.generations.changedElsewhere(this.runners))) this.runners = await this.generations.load();
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

  private async lead(): Promise<boolean> {
    if (!(await this.leadership.tryTake())) return false;
    try {
      this.runners = await this.generations.load();
    } catch (error) {
      await this.releaseLead();
      throw error;
    }
    this.logger.log(`projecting from position ${Math.min(...this.runners.map((r) => r.state.checkpoint))}`);
    return true;
  }

  private async releaseLead(): Promise<void> {
    this.runners = [];
    await this.leadership.release();
  }

  /** Starts rebuilding every projection into a fresh generation (see Generations.requestRebuild). */
  async requestRebuild(): Promise<{ projection: string; generation: number }[]> {
    const started = await this.generations.requestRebuild();
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
