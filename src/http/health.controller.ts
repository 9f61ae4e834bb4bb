// GET /health: liveness (the process answers) and readiness: the database answers and the
// projections keep up with the log. GET /health/live and GET /health/ready answer each half on
// its own, for orchestrators' probes. Open in every READ_ACCESS mode, and they show no internals
// (no ports, no connection errors): those go to the log.
import { Controller, Get, Inject, Logger, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.guard.js';
import { Answer, OpenAccess, RETRY_AFTER } from './api-docs.js';
import { CONFIG, type Config } from '../config/config.js';
import { EventStore } from '../event-store/event-store.js';
import { DocStore } from '../projections/projector/doc-store.js';
import { Projector } from '../projections/projector/projector.service.js';

const ANSWER_WITHIN_MS = 2000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('health');

  constructor(
    @Inject(DocStore) private readonly docs: DocStore,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(Projector) private readonly projector: Projector,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Get()
  @Public()
  @OpenAccess()
  @Answer(200, 'Health', 'Ready (`ok`, or `degraded` while events are quarantined)')
  @Answer(503, 'Health', 'Not ready: the database is down, or a projection has stalled', { headers: RETRY_AFTER })
  @ApiOperation({
    summary:
      'Liveness and readiness (503 when not ready): the database answers, and no projection has been behind the log without progress for PROJECTOR_STALL_MS. ' +
      '`degraded` (still ready) while events are quarantined: accepted but impossible to fold, listed here.',
  })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const check = await this.check(true);
    if (!check.ready) reply.status(503).header('retry-after', check.database === 'down' ? '5' : '30');
    if (check.database === 'down') return { status: 'unavailable', live: true, ready: false, database: 'down' };
    const { head, checkpoint, stalled, quarantined } = check;
    return {
      status: !check.ready ? 'unavailable' : quarantined.length ? 'degraded' : 'ok',
      live: true,
      ready: check.ready,
      database: 'up',
      projector: { leader: this.projector.isLeader, checkpoint, head, ...(stalled.length ? { stalled } : {}), quarantined },
    };
  }

  @Get('live')
  @Public()
  @OpenAccess()
  @Answer(200, 'Liveness', 'The process answers')
  @ApiOperation({ summary: 'Liveness: the process answers (200). Asks nothing of the database; for restarting a hung process, not for routing traffic.' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @OpenAccess()
  @Answer(200, 'Readiness', 'Ready')
  @Answer(503, 'Readiness', 'Not ready: the database is down, or a projection has stalled', { headers: RETRY_AFTER })
  @ApiOperation({
    summary: 'Readiness: 200 when the database answers and no projection has been behind the log without progress for PROJECTOR_STALL_MS; 503 with Retry-After otherwise.',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const check = await this.check(false);
    if (!check.ready) reply.status(503).header('retry-after', check.database === 'down' ? '5' : '30');
    if (check.database === 'down') return { status: 'unavailable', ready: false, database: 'down' };
    const { head, checkpoint, stalled } = check;
    return { status: check.ready ? 'ok' : 'unavailable', ready: check.ready, database: 'up', projector: { leader: this.projector.isLeader, checkpoint, head, ...(stalled.length ? { stalled } : {}) } };
  }

  /** The readiness rule, shared by /health and /health/ready; the quarantine list only when asked for. */
  private async check(withQuarantine: boolean) {
    let answer;
    try {
      answer = await within(ANSWER_WITHIN_MS, this.read(withQuarantine));
    } catch (error) {
      this.logger.warn(`database not ready: ${(error as Error).message}`);
      return { ready: false, database: 'down' } as const;
    }
    const { head, progress, quarantined } = answer;
    // Behind the log and neither moving nor new to it: stopped (a rebuild moves, so it is not).
    const stalled = progress
      .filter((p) => p.checkpoint < head && p.idleMs > this.config.PROJECTOR_STALL_MS && (p.waitingMs ?? 0) > this.config.PROJECTOR_STALL_MS)
      .map((p) => p.projection);
    return { ready: stalled.length === 0, database: 'up', head, checkpoint: Math.min(...progress.map((p) => p.checkpoint), head), stalled, quarantined } as const;
  }

  private async read(withQuarantine: boolean) {
    const [head, progress, quarantined] = await Promise.all([this.store.fencedHeadPosition(), this.docs.progress(), withQuarantine ? this.docs.quarantined() : []]);
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
