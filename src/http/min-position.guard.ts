// Read-your-writes (owns: the `minPosition` every read takes): waits until the read database
// reflects the position asked for (see database/read-database.ts), or answers 503 with
// Retry-After once READ_WAIT_MS has passed.
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { CONFIG, type Config } from '../config/config.js';
import { READ_DB, reflectedPosition, type ReadsFrom } from '../database/read-database.js';
import { ProjectionStates } from '../projections/projection-states.js';
import { InvalidInput, Problem } from './problems.js';

const POLL_MS = 20;

@Injectable()
export class MinPositionGuard implements CanActivate {
  constructor(
    @Inject(READ_DB) private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(ProjectionStates) private readonly projections: ProjectionStates,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const raw = (request.query as Record<string, unknown> | undefined)?.minPosition;
    if (raw === undefined || request.method !== 'GET') return true;
    if (typeof raw !== 'string' || !/^\d{1,18}$/.test(raw)) throw new InvalidInput([{ path: 'minPosition', message: 'must be a log position (a whole number, as a POST answered it)' }]);
    const wanted = Number(raw);
    const reads = readsFrom(request.url);
    const deadline = Date.now() + this.config.READ_WAIT_MS;
    for (;;) {
      const reflected = await reflectedPosition(this.db, reads);
      // The projections' state readers share (a few ms old) must have caught up too, not only the database.
      if (reflected >= wanted && (reads === 'log' || (await this.projections.reflects(wanted)))) return true;
      if (Date.now() >= deadline) {
        context.switchToHttp().getResponse<FastifyReply>().header('retry-after', '1');
        throw new Problem(503, 'Service unavailable', `The read database reflects position ${reflected} of the ${reads === 'log' ? 'log' : 'read models'}, not yet ${wanted}; try again shortly.`, { minPosition: wanted, reflected });
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/** The log itself for GET /events (and the registries, the stream); the read models for the rest. */
function readsFrom(url: string): ReadsFrom {
  return /^\/(events|actors|issues|stream)(?:[/?]|$)/.test(url) ? 'log' : 'projections';
}
