// The projections' generations (owns: which generation each projection writes and readers read —
// a fold whose version changed, or a rebuild requested on any server, starts a fresh one; it
// replaces the readers' once caught up, and the old one is swept).
import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { PROJECTIONS } from '../all-projections.js';
import type { Projection } from '../projection.js';
import type { DocStore, ProjectionState } from './doc-store.js';

/** A projection and the state of the generation the projector writes. */
export interface Runner {
  projection: Projection<unknown>;
  state: ProjectionState;
}

/** The projector's state in the database moved under it: another projector wrote it. */
export class LostOwnership extends Error {}

export class Generations {
  constructor(
    private readonly docStore: DocStore,
    private readonly db: DataSource,
    private readonly logger: Logger,
  ) {}

  /** Each projection's state, starting a rebuild for any whose fold version changed. */
  async load(): Promise<Runner[]> {
    const states = await this.docStore.states();
    const runners: Runner[] = [];
    for (const projection of PROJECTIONS) {
      let state = states.get(projection.name);
      state ??= await this.docStore.ensureState(projection.name, projection.version);
      if (state.version !== projection.version) {
        this.logger.log(`${projection.name}: fold version ${state.version} → ${projection.version}, rebuilding`);
        state = await this.docStore.startGeneration(state, projection.version);
      }
      // Every generation a projector writes or readers read has its partitions.
      for (const generation of new Set([state.generation, state.activeGeneration])) await this.docStore.ensurePartitions(generation);
      runners.push({ projection, state });
    }
    return runners;
  }

  /** A rebuild requested (on any server) shows up as projection state these runners did not write. */
  async changedElsewhere(runners: Runner[]): Promise<boolean> {
    const states = await this.docStore.states();
    return runners.some((r) => {
      const s = states.get(r.projection.name);
      return !s || s.generation !== r.state.generation || s.checkpoint !== r.state.checkpoint || s.activeGeneration !== r.state.activeGeneration;
    });
  }

  /**
   * A rebuilt generation replaces the one readers use once it has caught up: with the log, or
   * with the old generation (frozen while the rebuild runs), whichever comes first.
   */
  async switchCaughtUp(runners: Runner[], atHead: boolean): Promise<void> {
    let switchedAny = false;
    for (const runner of runners) {
      const s = runner.state;
      if (s.generation === s.activeGeneration) continue;
      if (!atHead && s.checkpoint < s.activeCheckpoint) continue;
      if (!(await this.docStore.switchReaders(s))) throw new LostOwnership(`${s.projection} changed under the projector`);
      runner.state = { ...s, activeGeneration: s.generation, activeCheckpoint: s.checkpoint };
      this.logger.log(`${s.projection}: rebuilt generation ${s.generation} is now live at position ${s.checkpoint}`);
      switchedAny = true;
    }
    if (switchedAny) await this.docStore.sweepOldGenerations();
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
      const next = await this.docStore.startGeneration(state, projection.version);
      started.push({ projection: projection.name, generation: next.generation });
    }
    await this.db.query(`SELECT pg_notify('events_appended', 'rebuild')`);
    return started;
  }
}
