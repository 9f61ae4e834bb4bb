// Time travel again on a history already loaded (BENCH_DATABASE_URL, e.g. one that
// `BENCH_KEEP_DATABASE=1 npm run bench:history` kept): a server started as `npm start` starts
// it, then GET /positions/:actor and GET /positions with asOf and knownAt drawn at random across
// the history, p50/p90/p99 and the server's RSS. To try a change without loading a million
// events again. npm run bench:time-travel   (BENCH_QUERIES, 300 by default)
import { percentile, rawPool, round, startChildServer } from './harness.js';

const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error('BENCH_DATABASE_URL names the database holding the history');
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);
const ACTORS = ['israel', 'hamas', 'egypt', 'qatar', 'us'];

const db = rawPool(url, 1);
const server = await startChildServer(url);
let x = 11;
const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
/** Until the projections are live and caught up (a changed fold version rebuilds at start-up). */
async function settle(): Promise<void> {
  for (;;) {
    const { rows } = await db.query(`SELECT (SELECT coalesce(max(position), 0) FROM events) AS head, coalesce(min(active_checkpoint), 0) AS p, bool_and(generation = active_generation) AS live FROM projection_state`);
    if (rows[0].live && Number(rows[0].p) >= Number(rows[0].head)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

try {
  const first = await fetch(`${server.url}/positions`);
  await first.text();
  console.log(`first GET /positions: ${round(performance.now() - server.listenedAt)} ms after the listening line`);
  const settling = performance.now();
  await settle();
  console.log(`projections live after ${round((performance.now() - settling) / 1000)} s`);
  const { rows } = await db.query(`SELECT extract(epoch FROM min(occurred_at)) * 1000 AS a, extract(epoch FROM max(occurred_at)) * 1000 AS b, count(*)::int AS n FROM events`);
  const [from, to] = [Number(rows[0].a), Number(rows[0].b)];
  for (const [name, route] of [['actor', (i: number) => `/positions/${ACTORS[i % ACTORS.length]}`], ['all', () => '/positions']] as const) {
    const samples: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const asOf = new Date(from + rnd() * (to - from)).toISOString();
      const knownAt = new Date(from + rnd() * (to - from)).toISOString();
      const t = performance.now();
      const reply = await fetch(`${server.url}${route(i)}?asOf=${asOf}&knownAt=${knownAt}`);
      await reply.text();
      if (reply.status !== 200) throw new Error(`${route(i)} answered ${reply.status}`);
      samples.push(performance.now() - t);
    }
    console.log(`${name} (${rows[0].n} events): ${JSON.stringify({ p50Ms: round(percentile(samples, 50)), p90Ms: round(percentile(samples, 90)), p99Ms: round(percentile(samples, 99)), serverRssMiB: round(await server.rssMiB(), 0) })}`);
  }
} finally {
  await db.end();
  await server.stop();
}
