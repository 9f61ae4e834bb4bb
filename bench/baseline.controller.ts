// The trivial endpoint bench/http.ts compares the read routes with: 2 KB of JSON from memory,
// answered through the same Nest pipeline as the API (global guards, exception filter, security
// headers), so a ratio measures what a route does beyond what the framework costs. Registered
// only by the benchmark's own entry point (bench/baseline-server.ts), never by the production wiring.
import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

/** The 2 KB answer, serialised once; server.ts serves the same bytes from a raw Fastify route. */
export const BENCH_BASELINE_BODY = Buffer.from(JSON.stringify({ baseline: 'x'.repeat(2030) }));

@ApiExcludeController()
@Controller('bench')
export class BenchBaselineController {
  @Get('trivial')
  trivial(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    reply.header('content-type', 'application/json; charset=utf-8');
    return BENCH_BASELINE_BODY;
  }
}
