// GET /health: liveness (the process answers) and readiness (the database answers, the projector's lag).
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { EventStore } from '../event-store/event-store.js';
import { Projector } from '../projections/projector/projector.service.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(Projector) private readonly projector: Projector,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and readiness, database included (503 when not ready)' })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    let timer: NodeJS.Timeout | undefined;
    try {
      const [[{ checkpoint }], head] = await Promise.race([
        Promise.all([this.db.query(`SELECT coalesce(min(active_checkpoint), 0) AS checkpoint FROM projection_state`), this.store.fencedHeadPosition()]),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('database did not answer within 2 s')), 2000))),
      ]);
      return { status: 'ok', live: true, ready: true, database: 'up', projector: { leader: this.projector.isLeader, checkpoint: Number(checkpoint), head } };
    } catch (error) {
      reply.status(503);
      return { status: 'unavailable', live: true, ready: false, database: 'down', detail: (error as Error).message };
    } finally {
      clearTimeout(timer); // a pending timer would keep a stopping process (and Jest) alive for 2 s
    }
  }
}
