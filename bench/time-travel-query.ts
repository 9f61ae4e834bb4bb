// GET /positions/:actor with asOf/knownAt on a long history: p50 must stay under 50 ms.
// npm run bench:query   (BENCH_EVENTS=100000 by default; BENCH_SCALE=smoke for a quick run)
import { loadHistory, percentile, postgresServer, report, round, settled, SMOKE, startBench } from './harness.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? (SMOKE ? 2000 : 100_000));
const QUERIES = SMOKE ? 20 : 200;

const pgServer = await postgresServer();
const bench = await startBench(pgServer.url);
try {
  const t0 = performance.now();
  const events = await loadHistory(bench, EVENTS);
  const loadMs = performance.now() - t0;
  const catchUpMs = await settled(bench.db);
  const first = Date.parse(events[0].occurredAt);
  const last = Date.parse(events[events.length - 1].occurredAt);
  const actors = ['israel', 'hamas', 'egypt', 'qatar', 'us'];
  let x = 7;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < QUERIES; i++) {
    const asOf = new Date(first + rnd() * (last - first)).toISOString();
    const knownAt = new Date(Date.parse(asOf) + rnd() * 10 * 86_400_000).toISOString();
    const actor = actors[i % actors.length];
    const started = performance.now();
    const reply = await fetch(`${bench.server.url}/positions/${actor}?asOf=${asOf}&knownAt=${knownAt}`);
    const body = await reply.text();
    samples.push(performance.now() - started);
    bytes += body.length;
    if (reply.status !== 200) throw new Error(`${reply.status} ${body.slice(0, 200)}`);
  }
  await report('time-travel-query', {
    events: EVENTS,
    queries: QUERIES,
    loadSeconds: round(loadMs / 1000),
    appendRatePerSecond: round(EVENTS / (loadMs / 1000), 0),
    projectionCatchUpSeconds: round(catchUpMs / 1000),
    p50Ms: round(percentile(samples, 50)),
    p90Ms: round(percentile(samples, 90)),
    p99Ms: round(percentile(samples, 99)),
    meanResponseKiB: round(bytes / QUERIES / 1024, 1),
    target: 'p50 < 50 ms',
    pass: percentile(samples, 50) < 50,
  });
} finally {
  await bench.stop();
  await pgServer.stop();
}
