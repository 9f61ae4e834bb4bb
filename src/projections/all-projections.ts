import type { Projection } from './projection.js';
import { agreementsProjection } from './agreements/agreements.fold.js';
import { positionsProjection } from './positions/positions.fold.js';
import { proposalsProjection } from './proposals/proposals.fold.js';
import { statusProjection } from './status/status.fold.js';
import { timelineProjection } from './timeline/timeline.fold.js';

export const PROJECTIONS: Projection<any>[] = [positionsProjection, proposalsProjection, timelineProjection, statusProjection, agreementsProjection];
