// On a long history (100 000 events by default), with the server in its own process:
//  - append latency at 1 000 vs 100 000 events in the log (ratio ≤ 1.2),
//  - asOf/knownAt queries on /positions/:actor (p50 < 50 ms),
//  - a rebuild of all projections vs a raw cursor read of the same log (≥ 0.5× events/s),
//  - the server's memory after the rebuild (RSS < 300 MB).
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
const server = await startChildServer(database.url);
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

try {
  const history = generateHistory(EVENTS, 42);
  await load(0, SMALL, history);
  await settle();
  const appendAtSmall = await appendLatency(PROBES);

  const started = performance.now();
  await load(SMALL, EVENTS, history);
  const loadSeconds = (performance.now() - started) / 1000;
  await settle();
  const appendAtLarge = await appendLatency(PROBES);
  await settle();

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
  await rebuildCpu.during(async () => {
    const requested = await httpJson('POST', `${server.url}/admin/projections/rebuild`, {});
    if (requested.status !== 202) throw new Error(`rebuild refused: ${requested.status}`);
    await sleep(50);
    await settle();
    return total;
  });
  const rebuildPerSecond = total / ((performance.now() - rebuildStarted) / 1000);
  await sleep(500);
  const rss = await server.rssMiB();
  const floor = await documentIngestFloor();
  const foldSeconds = await foldFloor();
  const inMemory = await inMemoryRebuild();

  // asOf / knownAt queries across the history.
  const { rows: span } = await db.query(`SELECT min(occurred_at) AS a, max(occurred_at) AS b FROM events`);
  const first = new Date(span[0].a).getTime();
  const last = new Date(span[0].b).getTime();
  let x = 7;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const actors = ['israel', 'hamas', 'egypt', 'qatar', 'us'];
  const queries: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const asOf = new Date(first + rnd() * (last - first)).toISOString();
    const knownAt = new Date(Date.parse(asOf) + rnd() * 10 * 86_400_000).toISOString();
    const t = performance.now();
    const reply = await fetch(`${server.url}/positions/${actors[i % 5]}?asOf=${asOf}&knownAt=${knownAt}`);
    await reply.text();
    queries.push(performance.now() - t);
  }

  const rssAfterQueries = await server.rssMiB();

  await report('long-history', {
    events: total,
    loadSeconds: round(loadSeconds),
    appendP50MsAt: { [SMALL]: round(appendAtSmall), [total]: round(appendAtLarge) },
    appendLatencyRatio: round(appendAtLarge / appendAtSmall),
    appendTarget: 'ratio ≤ 1.2',
    timeTravelQuery: { p50Ms: round(percentile(queries, 50)), p90Ms: round(percentile(queries, 90)), p99Ms: round(percentile(queries, 99)), target: 'p50 < 50 ms' },
    rebuild: { eventsPerSecond: round(rebuildPerSecond, 0), rawCursorReadPerSecond: round(cursorPerSecond, 0), ratio: round(rebuildPerSecond / cursorPerSecond), target: '≥ 0.5×', cpu: rebuildCpu.share() },
    // The rebuild cannot beat PostgreSQL's own COPY of the documents it writes (evidence for the ratio).
    documentIngestFloor: {
      documents: floor.docs,
      megabytes: round(floor.bytes / 2 ** 20, 1),
      copySeconds: round(floor.seconds),
      documentsPerSecond: round(floor.docs / floor.seconds, 0),
      rebuildCeilingEventsPerSecond: round(total / floor.seconds, 0),
      ceilingRatio: round(total / floor.seconds / cursorPerSecond),
    },
    // Nor the folds themselves: the same history folded in memory with no read and no write.
    foldFloor: {
      foldSeconds: round(foldSeconds),
      rebuildCeilingEventsPerSecond: round(total / foldSeconds, 0),
      ceilingRatio: round(total / foldSeconds / cursorPerSecond),
    },
    // A rebuild into memory (nothing written): the log read in pages and folded, overlapped,
    // and the RSS of a process holding its generations (each in a worker thread).
    inMemoryRebuildCeiling: {
      seconds: round(inMemory.seconds),
      eventsPerSecond: round(total / inMemory.seconds, 0),
      ratio: round(total / inMemory.seconds / cursorPerSecond),
      documents: inMemory.documents,
      documentsHeldMiB: round(inMemory.heldMiB, 0),
      processRssMiB: inMemory.rssMiB,
    },
    serverRssAfterRebuildMiB: round(rss, 0),
    rssTarget: '< 300 MB',
    serverRssAfterQueriesMiB: round(rssAfterQueries, 0),
  });
} finally {
  await db.end();
  await server.stop();
  await database.drop();
  await pgServer.stop();
}
