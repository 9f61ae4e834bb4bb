// The server as the HTTP benchmark runs it: the production server (src/server.ts) plus the
// baseline routes bench/http.ts compares the API with — a trivial 2 KB answer through the same
// Nest pipeline (/bench/trivial) and from Fastify alone (/bench/trivial-fastify). Kept here, out
// of the production wiring, which knows nothing of benchmarks.
import { loadConfig } from '../src/config/config.js';
import { stopAllEmbeddedSync } from '../src/database/embedded-postgres.js';
import { startServer } from '../src/server.js';
import { BENCH_BASELINE_BODY, BenchBaselineController } from './baseline.controller.js';

const server = await startServer(loadConfig(), undefined, {
  extraControllers: [BenchBaselineController],
  beforeListen: (fastify) => fastify.get('/bench/trivial-fastify', (_request, reply) => reply.type('application/json; charset=utf-8').send(BENCH_BASELINE_BODY)),
});
process.stdout.write(`Standpoint listening on ${server.url} (with the benchmark's baseline routes)\n`);
process.on('exit', stopAllEmbeddedSync);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));
