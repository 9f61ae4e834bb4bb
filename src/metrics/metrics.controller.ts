// GET /metrics: Prometheus' text format (see metrics.service.ts). Open in every READ_ACCESS mode:
// it holds counts and timings, nothing of the record.
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.guard.js';
import { OpenAccess } from '../http/api-docs.js';
import { Metrics } from './metrics.service.js';

@ApiTags('health')
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  @Get()
  @Public()
  @OpenAccess()
  @ApiOperation({
    summary:
      'Prometheus metrics: appends by status, request latency by route, projector lag and rebuild progress, stream clients, database pool, and the process (text exposition format 0.0.4).',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The metrics, in Prometheus text format', schema: { type: 'string' } })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const text = await this.metrics.scrape();
    reply.header('content-type', this.metrics.contentType).header('cache-control', 'no-store');
    return text;
  }
}
