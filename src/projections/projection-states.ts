// The projections' state as readers see it (owns: one look at projection_state shared by every
// reader arriving within a few milliseconds, and what the read side derives from it — the log
// position an answer reflects, the active generation, the version a memoised answer is for).
import { Inject, Injectable } from '@nestjs/common';
import { DocStore, type ProjectionState } from './projector/doc-store.js';

/** The document store readers read: a hot standby's with READ_DATABASE_URL, else the primary's. */
export const READ_DOC_STORE = Symbol('READ_DOC_STORE');

/** Readers under load share one look at the projections' state per this many ms. */
const STALENESS_MS = 5;

export type States = Map<string, ProjectionState>;

@Injectable()
export class ProjectionStates {
  private looking?: Promise<States>;
  private looked?: { at: number; states: States };

  constructor(@Inject(READ_DOC_STORE) private readonly docs: DocStore) {}

  async current(): Promise<States> {
    if (this.looked && performance.now() - this.looked.at < STALENESS_MS) return this.looked.states;
    this.looking ??= this.docs.states().finally(() => (this.looking = undefined));
    const states = await this.looking;
    this.looked = { at: performance.now(), states };
    return states;
  }

  /** The log position the answers of these projections reflect (the lowest), looked at now. */
  checkpoint(...projections: string[]): Promise<number> {
    return this.docs.activeCheckpoint(projections);
  }

  /**
   * Whether every read model reflects at least `position` (read-your-writes: see
   * MinPositionGuard, which asks again until they do, each time with a fresh look).
   */
  async reflects(position: number): Promise<boolean> {
    return reflected(await this.current()) >= position;
  }
}

/** The log position every one of `projections` reflects (all of them by default). */
export function reflected(states: States, projections: string[] = [...states.keys()]): number {
  return projections.length ? Math.min(...projections.map((p) => states.get(p)?.activeCheckpoint ?? 0)) : 0;
}

/** Names what `projections` hold: answers computed from equal versions are equal. */
export function versionOf(states: States, projections: string[]): string {
  return projections.map((p) => `${states.get(p)?.activeGeneration}:${states.get(p)?.activeCheckpoint}`).join('|');
}

export function activeGeneration(states: States, projection: string): number {
  return states.get(projection)?.activeGeneration ?? 0;
}
