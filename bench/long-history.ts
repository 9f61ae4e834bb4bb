// On a long history (BENCH_EVENTS, 100 000 by default; run it at 10 000, 100 000 and 1 000 000
// to see how each cost grows), with the server in its own process started as `npm start` starts
// it, each stage printing its figures as it ends:
//  - load through POST /events/batch, with the server's peak RSS (< 300 MiB in every stage),
//  - append latency at 1 000 vs the whole history (ratio ≤ 1.2),
//  - time travel: GET /positions/:actor and GET /positions with asOf and knownAt drawn at
//    random across the history (p50 < 30 ms, p99 < 100 ms, and flat as the history grows),
//  - the first GET /positions after a restart, from the listening line (< 1 s),
//  - a rebuild of all projections vs a raw cursor read of the same log (≥ 0.5×),
//  - the read models' size in PostgreSQL against the log's (≤ 1.5×).
// BENCH_KEEP_DATABASE=1 (with DATABASE_URL) keeps the history for `npm run bench:time-travel`.
// BENCH_FLOORS=1 adds the rebuild's floors (the log folded in memory: not at a million events).
// npm run bench:history   (BENCH_EVENTS=…; BENCH_SCALE=smoke for a few seconds)
import { fork } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ENVELOPE_COLUMNS, envelopeFromRow, type EventRow } from '../src/event-store/event-store.js';
import type { InMemoryRebuildReport } from './in-memory-rebuild.js';
import { PROJECTIONS } from '../src/projections/all-projections.js';
import { replay } from '../src/projections/projection.js';
import { toNewsEvent } from '../src/catalogue/stored-event.js';
import { generateHistory } from './generate.js';
import { cpuMeter, freshDatabase, httpJson, percentile, postgresServer, rawPool, report, round, SMOKE, startChildServer, startScriptNodeFlags } from './harness.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? (SMOKE ? 3000 : 100_000));
const SMALL = SMOKE ? 500 : 1000;
const PROBES = SMOKE ? 30 : 300;
const QUERIES = SMOKE ? 20 : 300;

const pgServer = await postgresServer();
const database = await freshDatabase(pgServer.url);
let server = await startChildServer(database.url);
const db = rawPool(database.url, 2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function load(from: number, to: number, all: Iterator<ReturnType<typeof generateHistory> extends Generator<infer E> ? E : never>) {
  for (let i = from; i < to; ) {
    const batch = [];
    while (batch.length < 1000 && i < to) {
      batch.push(all.next().value);
      i++;
    }
    const reply = await httpJson('POST', `${server.url}/events/batch`, { events: batch });
    if (reply.status !== 201) throw new Error(`load failed at ${i}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  }
}

async function settle(): Promise<void> {
  for (;;) {
    const { rows } = await db.query(`SELECT (SELECT coalesce(max(position), 0) FROM events) AS head, coalesce(min(active_checkpoint), 0) AS p, bool_and(generation = active_generation) AS live FROM projection_state`);
    if (rows[0].live && Number(rows[0].p) >= Number(rows[0].head)) return;
    await sleep(20);
  }
}

/** Single appends, one after another, as one client does. */
async function appendLatency(n: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = { type: 'StatementIssued', occurredAt: '2025-10-01', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { actor: 'hamas', stances: [{ issue: 'negotiations', stance: 'conditional' }], summary: `probe ${i}` } };
    const started = performance.now();
    const reply = await httpJson('POST', `${server.url}/events`, body);
    samples.push(performance.now() - started);
    if (reply.status !== 201) throw new Error(`append failed: ${reply.status}`);
  }
  return percentile(samples, 50);
}

/**
 * The floor under any rebuild that writes these read models: PostgreSQL ingesting the very
 * documents the rebuild wrote, by COPY into a copy of projection_docs with its indexes, with no
 * log to read and nothing to fold. Returns how many documents, their size and the COPY's time.
 */
async function documentIngestFloor(): Promise<{ docs: number; bytes: number; seconds: number }> {
  const client = await db.connect();
  try {
    const chunks: Buffer[] = [];
    const active = `SELECT d.* FROM projection_docs d JOIN projection_state s ON s.projection = d.projection AND s.active_generation = d.generation`;
    await pipeline(client.query(copyTo(`COPY (${active}) TO STDOUT`)), new Writable({ write: (chunk, _, done) => (chunks.push(chunk), done()) }));
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM (${active}) a`);
    await client.query('CREATE TEMP TABLE ingest_floor (LIKE projection_docs INCLUDING ALL)');
    const started = performance.now();
    await pipeline(Readable.from(chunks), client.query(copyFrom('COPY ingest_floor FROM STDIN')));
    const seconds = (performance.now() - started) / 1000;
    await client.query('DROP TABLE ingest_floor');
    return { docs: rows[0].n, bytes: chunks.reduce((n, c) => n + c.length, 0), seconds };
  } finally {
    client.release();
  }
}

/**
 * The floor under any rebuild that runs these folds, whatever it stores: the log already in
 * memory, each event turned into the folds' input and folded by every projection, keeping the
 * documents in memory and writing nothing. Returns the seconds that took.
 */
async function foldFloor(): Promise<number> {
  const { rows } = await db.query<EventRow>(`SELECT ${ENVELOPE_COLUMNS} FROM events ORDER BY position`);
  const log = rows.map(envelopeFromRow);
  const byId = new Map(log.map((e) => [e.id, e]));
  const started = performance.now();
  const events = log.map((e) => toNewsEvent(e, (id) => byId.get(id)));
  for (const projection of PROJECTIONS) replay(projection, events);
  return (performance.now() - started) / 1000;
}

/**
 * The ceiling of a rebuild that keeps its read models in memory instead of writing documents
 * (the redesign bench/README.md weighs), and the memory it costs: in a process of its own
 * (in-memory-rebuild.ts), which reports its RSS.
 */
async function inMemoryRebuild(): Promise<InMemoryRebuildReport> {
  // Compiled, as the server runs (npm run bench:history builds first), and with its node flags.
  const child = fork(new URL('../dist/bench/in-memory-rebuild.js', import.meta.url), { execArgv: await startScriptNodeFlags(), env: { ...process.env, FOLD_DATABASE_URL: database.url } });
  return new Promise((resolve, reject) => {
    child.once('message', (report) => resolve(report as InMemoryRebuildReport));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`in-memory-rebuild.ts exited with ${code} before reporting`)));
  });
}

/** Samples the server's RSS every 100 ms while `work` runs; returns its result and the peak. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = await server.rssMiB();
  const timer = setInterval(() => void server.rssMiB().then((m) => (peak = Math.max(peak, m)), () => {}), 100);
  try {
    const result = await work();
    return { result, peakMiB: Math.round(Math.max(peak, await server.rssMiB())) };
  } finally {
    clearInterval(timer);
  }
}

const figures: Record<string, unknown> = { events: EVENTS };
/** Prints a stage's figures at once (a crash later keeps them) and keeps them for the report. */
function stage(name: string, values: Record<string, unknown>): void {
  figures[name] = values;
  console.log(`${name}: ${JSON.stringify(values)}`);
}

let x = 7;
const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const ACTORS = ['israel', 'hamas', 'egypt', 'qatar', 'us'];

/** GET `route` with asOf and knownAt each drawn at random across the history (so knownAt is as often before asOf as after). */
async function timeTravel(route: (i: number) => string, first: number, last: number): Promise<{ p50Ms: number; p90Ms: number; p99Ms: number }> {
  const samples: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const asOf = new Date(first + rnd() * (last - first)).toISOString();
    const knownAt = new Date(first + rnd() * (last - first)).toISOString();
    const t = performance.now();
    const reply = await fetch(`${server.url}${route(i)}${route(i).includes('?') ? '&' : '?'}asOf=${asOf}&knownAt=${knownAt}`);
    await reply.text();
    if (reply.status !== 200) throw new Error(`time travel answered ${reply.status}`);
    samples.push(performance.now() - t);
  }
  return { p50Ms: round(percentile(samples, 50)), p90Ms: round(percentile(samples, 90)), p99Ms: round(percentile(samples, 99)) };
}

/** Tables and indexes on disk, the read models' against the log's, with each table's share and each projection's live documents. */
async function sizes(): Promise<Record<string, unknown>> {
  const { rows } = await db.query(
    `SELECT pg_total_relation_size('events') AS log,
            -- a partitioned table's own size is nothing: its partitions hold the rows
            (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'projection_docs'::regclass) AS docs,
            (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'projection_facets'::regclass) AS facets,
            pg_total_relation_size('projection_state') AS state`,
  );
  const { rows: live } = await db.query(
    `SELECT d.projection, count(*)::int AS documents, sum(pg_column_size(d.doc))::bigint AS bytes
       FROM projection_docs d JOIN projection_state s ON s.projection = d.projection AND s.active_generation = d.generation GROUP BY 1 ORDER BY 1`,
  );
  const mib = (n: string | number) => round(Number(n) / 2 ** 20, 1);
  const models = Number(rows[0].docs) + Number(rows[0].facets) + Number(rows[0].state);
  return {
    logMiB: mib(rows[0].log),
    readModelsMiB: mib(models),
    ratio: round(models / Number(rows[0].log)),
    tablesMiB: { projection_docs: mib(rows[0].docs), projection_facets: mib(rows[0].facets) },
    liveDocuments: Object.fromEntries(live.map((r) => [r.projection, { documents: r.documents, jsonMiB: mib(r.bytes) }])),
  };
}

try {
  const history = generateHistory(EVENTS, 42);
  await load(0, SMALL, history);
  await settle();
  const appendAtSmall = await appendLatency(PROBES);

  const started = performance.now();
  const loading = await peakRss(async () => {
    await load(SMALL, EVENTS, history);
    await settle();
  });
  const loadSeconds = (performance.now() - started) / 1000;
  stage('load', { events: EVENTS, seconds: round(loadSeconds), eventsPerSecond: round(EVENTS / loadSeconds, 0), serverPeakRssMiB: loading.peakMiB });
  const appendAtLarge = await appendLatency(PROBES);
  await settle();
  stage('appendLatency', { p50MsAt: { [SMALL]: round(appendAtSmall), [EVENTS]: round(appendAtLarge) }, ratio: round(appendAtLarge / appendAtSmall), target: 'ratio ≤ 1.2' });

  const { rows: span } = await db.query(`SELECT min(occurred_at) AS a, max(occurred_at) AS b FROM events`);
  const first = new Date(span[0].a).getTime();
  const last = new Date(span[0].b).getTime();
  stage('sizeBeforeRebuild', await sizes());
  const travelling = await peakRss(async () => ({
    actor: await timeTravel((i) => `/positions/${ACTORS[i % ACTORS.length]}`, first, last),
    all: await timeTravel(() => '/positions', first, last),
  }));
  stage('timeTravel', { ...travelling.result, serverPeakRssMiB: travelling.peakMiB, target: 'p50 < 30 ms, p99 < 100 ms' });

  // A restart: the first GET /positions, timed from the listening line.
  await server.stop();
  server = await startChildServer(database.url);
  const firstRead = await fetch(`${server.url}/positions`);
  await firstRead.text();
  stage('restart', { firstPositionsMs: round(performance.now() - server.listenedAt), status: firstRead.status, target: '< 1 s' });

  // The limit for a rebuild: reading the same log through a cursor.
  const { rows: counted } = await db.query('SELECT count(*)::int AS n FROM events');
  const total = counted[0].n;
  const client = await db.connect();
  const cursorStarted = performance.now();
  await client.query('BEGIN');
  await client.query('DECLARE log CURSOR FOR SELECT * FROM events ORDER BY position');
  for (;;) {
    const { rows } = await client.query('FETCH 1000 FROM log');
    if (rows.length === 0) break;
  }
  await client.query('COMMIT');
  client.release();
  const cursorPerSecond = total / ((performance.now() - cursorStarted) / 1000);

  // Where the rebuild's CPU goes: the server and PostgreSQL, per event, and how many cores busy.
  const rebuildCpu = cpuMeter(server.pid);
  const rebuildStarted = performance.now();
  const rebuilding = await peakRss(() =>
    rebuildCpu.during(async () => {
      const requested = await httpJson('POST', `${server.url}/admin/projections/rebuild`, {});
      if (requested.status !== 202) throw new Error(`rebuild refused: ${requested.status}`);
      await sleep(50);
      await settle();
      return total;
    }),
  );
  const rebuildPerSecond = total / ((performance.now() - rebuildStarted) / 1000);
  stage('rebuild', {
    eventsPerSecond: round(rebuildPerSecond, 0),
    rawCursorReadPerSecond: round(cursorPerSecond, 0),
    ratio: round(rebuildPerSecond / cursorPerSecond),
    target: '≥ 0.5×',
    serverPeakRssMiB: rebuilding.peakMiB,
    cpu: rebuildCpu.share(),
  });
  // The switch comes before the sweep of the old generation: measure once it is gone.
  for (let waited = 0; waited < 60_000; waited += 100) {
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM pg_inherits WHERE inhparent = 'projection_facets'::regclass) AS partitions,
              (SELECT count(DISTINCT g) FROM projection_state, unnest(ARRAY[generation, active_generation]) AS g) AS generations`,
    );
    if (Number(rows[0].partitions) <= Number(rows[0].generations)) break;
    await sleep(100);
  }
  stage('size', { ...(await sizes()), target: 'read models ≤ 1.5× the log' });

  const reading = await peakRss(async () => ({
    actor: await timeTravel((i) => `/positions/${ACTORS[i % ACTORS.length]}`, first, last),
    all: await timeTravel(() => '/positions', first, last),
  }));
  stage('timeTravelAfterRebuild', { ...reading.result, serverPeakRssMiB: reading.peakMiB });

  if (process.env.BENCH_FLOORS) {
    const floor = await documentIngestFloor();
    const foldSeconds = await foldFloor();
    const inMemory = await inMemoryRebuild();
    // The rebuild cannot beat PostgreSQL's own COPY of the documents it writes, nor the folds themselves.
    stage('floors', {
      documentIngest: { documents: floor.docs, megabytes: round(floor.bytes / 2 ** 20, 1), copySeconds: round(floor.seconds), ceilingRatio: round(total / floor.seconds / cursorPerSecond) },
      fold: { foldSeconds: round(foldSeconds), ceilingRatio: round(total / foldSeconds / cursorPerSecond) },
      inMemoryRebuild: { seconds: round(inMemory.seconds), ratio: round(total / inMemory.seconds / cursorPerSecond), documentsHeldMiB: round(inMemory.heldMiB, 0), processRssMiB: inMemory.rssMiB },
    });
  }
  stage('rss', { serverNowMiB: round(await server.rssMiB(), 0), target: '< 300 MiB' });
  await report('long-history', figures);
} finally {
  await db.end();
  await server.stop();
  // BENCH_KEEP_DATABASE=1 keeps the history (with DATABASE_URL) for bench/time-travel.ts to measure again.
  if (process.env.BENCH_KEEP_DATABASE && process.env.DATABASE_URL) console.log(`kept: BENCH_DATABASE_URL=${database.url}`);
  else await database.drop();
  await pgServer.stop();
}
