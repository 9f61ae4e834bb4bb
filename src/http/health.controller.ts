// GET /health: liveness (the process answers) and readiness: the database answers and the
// projections keep up with the log. Open in every READ_ACCESS mode, and it shows no internals
// (no ports, no connection errors): those go to the log.
import { Controller, Get, Inject, Logger, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.guard.js';
import { CONFIG, type Config } from '../config/config.js';
import { EventStore } from '../event-store/event-store.js';
import { DocStore } from '../projections/projector/doc-store.js';
import { Projector } from '../projections/projector/projector.service.js';

const ANSWER_WITHIN_MS = 2000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('health');
  private readonly docs: DocStore;

  constructor(
    @Inject(DataSource) db: DataSource,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(Projector) private readonly projector: Projector,
    @Inject(CONFIG) private readonly config: Config,
  ) {
    this.docs = new DocStore(db);
  }

  @Get()
  @Public()
  @ApiOperation({
    summary:
      'Liveness and readiness (503 when not ready): the database answers, and no projection has been behind the log without progress for PROJECTOR_STALL_MS. ' +
      '`degraded` (still ready) while events are quarantined: accepted but impossible to fold, listed here.',
  })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    let answer;
    try {
      answer = await within(ANSWER_WITHIN_MS, this.read());
    } catch (error) {
      this.logger.warn(`database not ready: ${(error as Error).message}`);
      reply.status(503).header('retry-after', '5');
      return { status: 'unavailable', live: true, ready: false, database: 'down' };
    }
    const { head, progress, quarantined } = answer;
    // Behind the log and neither moving nor new to it: stopped (a rebuild moves, so it is not).
    const stalled = progress
      .filter((p) => p.checkpoint < head && p.idleMs > this.config.PROJECTOR_STALL_MS && (p.waitingMs ?? 0) > this.config.PROJECTOR_STALL_MS)
      .map((p) => p.projection);
    const ready = stalled.length === 0;
    if (!ready) reply.status(503).header('retry-after', '30');
    return {
      status: !ready ? 'unavailable' : quarantined.length ? 'degraded' : 'ok',
      live: true,
      ready,
      database: 'up',
      projector: {
        leader: this.projector.isLeader,
        checkpoint: Math.min(...progress.map((p) => p.checkpoint), head),
        head,
        ...(stalled.length ? { stalled } : {}),
        quarantined,
      },
    };
  }

  private async read() {
    const [head, progress, quarantined] = await Promise.all([this.store.fencedHeadPosition(), this.docs.progress(), this.docs.quarantined()]);
    return { head, progress, quarantined };
  }
}

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer); // a pending timer would keep a stopping process (and Jest) alive
  }
}
