// The HTTP API against its limits, measured in the same run:
//  - POST /events with 16 connections vs raw `pg` INSERTs from 8 clients (≥ 0.5×),
//  - GET /positions and /positions/:actor with 50 connections vs a trivial endpoint of the same
//    app returning 2 KB from memory (≥ 0.7× req/s, p99 < 20 ms),
//  - the time from POST /events (201) to the change visible in GET /positions (p99 < 50 ms).
// npm run bench:http   (BENCH_SECONDS per case; BENCH_SCALE=smoke for a few seconds)
import autocannon from 'autocannon';
import pg from 'pg';
import { KEY, loadHistory, percentile, postgresServer, report, round, SECONDS, settled, SMOKE, startBench } from './harness.js';
import { event, rate, RAW_TABLE, rawInsert } from './raw-limit.js';

const TWO_KB = JSON.stringify({ items: Array.from({ length: 24 }, (_, i) => ({ id: i, label: `item number ${i} of the baseline` })) }).slice(0, 2048);
const PROBES = SMOKE ? 20 : 200;

function cannon(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon({ ...options, duration: SECONDS }, (error, result) => (error ? reject(error) : resolve(result))));
}

const pgServer = await postgresServer();
const bench = await startBench(pgServer.url, {
  extraRoutes: (fastify) => fastify.get('/bench/trivial', (_request, reply) => reply.type('application/json').send(TWO_KB)),
});
const raw = new pg.Pool({ connectionString: bench.databaseUrl, max: 8 });
try {
  await raw.query(RAW_TABLE);
  await loadHistory(bench, SMOKE ? 300 : 2000);
  await settled(bench.db);

  const rawEightClients = await rate(8, 1, (n) => rawInsert(raw, [event(n)]));
  const append = await cannon({
    url: `${bench.server.url}/events`,
    connections: 16,
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'StatementIssued', occurredAt: '2025-10-01', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { actor: 'hamas', stances: [{ issue: 'negotiations', stance: 'conditional' }], summary: 'A statement about the talks.' } }),
  });
  await settled(bench.db);

  const reads: Record<string, unknown> = {};
  const trivial = await cannon({ url: `${bench.server.url}/bench/trivial`, connections: 50 });
  for (const route of ['/positions', '/positions/hamas']) {
    const r = await cannon({ url: `${bench.server.url}${route}`, connections: 50 });
    reads[route] = { requestsPerSecond: round(r.requests.average, 0), p99Ms: r.latency.p99, non2xx: r.non2xx, ratioToTrivial: round(r.requests.average / trivial.requests.average), target: '≥ 0.7×, p99 < 20 ms' };
  }

  // From 201 to the change showing in the actor's position.
  const visible: number[] = [];
  for (let i = 0; i < PROBES; i++) {
    const posted = await bench.post('/events', { type: 'StatementIssued', occurredAt: '2025-10-02', sources: [{ outlet: 'AP', attribution: 'named' }], data: { actor: 'qatar', stances: [{ issue: 'negotiations', stance: i % 2 ? 'supports' : 'conditional' }], summary: `probe ${i}` } });
    const at = performance.now();
    for (;;) {
      const { body } = await bench.get('/positions/qatar?limit=1');
      if (body.position >= posted.body.position) break;
    }
    visible.push(performance.now() - at);
  }

  await report('http', {
    secondsPerCase: SECONDS,
    append: {
      requestsPerSecond: round(append.requests.average, 0),
      non2xx: append.non2xx,
      p99Ms: append.latency.p99,
      rawInsertEightClientsPerSecond: round(rawEightClients, 0),
      ratio: round(append.requests.average / rawEightClients),
      target: '≥ 0.5×',
    },
    trivial: { requestsPerSecond: round(trivial.requests.average, 0), p99Ms: trivial.latency.p99 },
    reads,
    postToVisible: { p50Ms: round(percentile(visible, 50)), p99Ms: round(percentile(visible, 99)), target: 'p99 < 50 ms' },
  });
} finally {
  await raw.end();
  await bench.stop();
  await pgServer.stop();
}
