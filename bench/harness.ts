// What every benchmark needs: a PostgreSQL (embedded by default, DATABASE_URL otherwise) with a
// fresh database, a Standpoint server on it, loading a history, percentiles, and writing results.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/config.js';
import { createScratchDatabase } from '../src/database/database.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { startServer, type RunningServer, type ServerOptions } from '../src/server.js';
import { generateHistory, type GeneratedEvent } from './generate.js';

export const KEY = 'bench-admin-secret-0123456789';

export interface Bench {
  /** postgres://… of the fresh database */
  databaseUrl: string;
  server: RunningServer;
  db: DataSource;
  post(route: string, body: unknown): Promise<{ status: number; body: any }>;
  get(route: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** A PostgreSQL server to benchmark against: the configured one, or an embedded one. */
export async function postgresServer(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const dataDir = path.join(os.tmpdir(), `standpoint-bench-pg-${process.pid}`);
  const pgHandle = await startEmbeddedPostgres({ dataDir });
  return {
    url: pgHandle.url,
    stop: async () => {
      await pgHandle.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A plain `pg` pool for the raw limits. pg-pool's `end()` resolves before its clients have
 * finished closing, so dropping the database right after can kill one of them; without an
 * error listener that would crash the benchmark after it has reported.
 */
export function rawPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}

export function freshDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  return createScratchDatabase(serverUrl, 'standpoint_bench');
}

export async function startBench(serverUrl: string, options: ServerOptions = {}, env: Record<string, string> = {}): Promise<Bench> {
  const database = await freshDatabase(serverUrl);
  const dataDir = path.join(os.tmpdir(), `standpoint-bench-app-${randomBytes(4).toString('hex')}`);
  await mkdir(dataDir, { recursive: true });
  const config = loadConfig({ PORT: '0', DATABASE_URL: database.url, DATA_DIR: dataDir, API_KEYS: `bench:admin:${KEY}`, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', ...env });
  const server = await startServer(config, () => {}, options);
  const request = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    databaseUrl: database.url,
    server,
    db: server.app.get(DataSource),
    post: (route, body) => request('POST', route, body),
    get: (route) => request('GET', route),
    stop: async () => {
      await server.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Appends a generated history through POST /events/batch, 1000 at a time, with a progress line. */
export async function loadHistory(bench: Bench, count: number, seed = 42): Promise<GeneratedEvent[]> {
  const events = [...generateHistory(count, seed)];
  for (let i = 0; i < events.length; i += 1000) {
    const reply = await bench.post('/events/batch', { events: events.slice(i, i + 1000) });
    if (reply.status !== 201) throw new Error(`loading the history failed at ${i}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 500)}`);
    if (process.stdout.isTTY) process.stdout.write(`\r  loaded ${Math.min(i + 1000, events.length)}/${events.length}`);
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
  return events;
}

/** Waits until every read model reflects the whole log; returns how long that took. */
export async function settled(db: DataSource, timeoutMs = 600_000): Promise<number> {
  const started = performance.now();
  const [{ head }] = await db.query('SELECT coalesce(max(position), 0)::bigint AS head FROM events');
  for (;;) {
    const [s] = await db.query('SELECT coalesce(min(active_checkpoint), 0)::bigint AS p, bool_and(generation = active_generation) AS live FROM projection_state');
    if (s.live && Number(s.p) >= Number(head)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error('projections did not catch up');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Prints the figures and writes them to bench/results/<name>.json. */
export async function report(name: string, figures: Record<string, unknown>): Promise<void> {
  const result = { benchmark: name, at: new Date().toISOString(), machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30, 1), node: process.version }, ...figures };
  console.log(JSON.stringify(result, null, 2));
  const dir = path.resolve('bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.json`), JSON.stringify(result, null, 2));
}

/** How big a run is: BENCH_SCALE=smoke for CI's few-second run. */
export const SMOKE = process.env.BENCH_SCALE === 'smoke';

export interface ChildServer {
  url: string;
  pid: number;
  /** When (performance.now()) the server printed its listening line. */
  listenedAt: number;
  /** Resident memory of the server process, in MiB. */
  rssMiB(): Promise<number>;
  stop(): Promise<void>;
}

/** The flags `npm start` gives node (the heap cap): the benchmarked server runs as users run it. */
export async function startScriptNodeFlags(): Promise<string[]> {
  const start: string = JSON.parse(await readFile('package.json', 'utf8')).scripts.start;
  const flags = /^node((?:\s+--\S+)*)\s+dist\/src\/main\.js$/.exec(start);
  if (!flags) throw new Error(`package.json's start script is not "node [--flags] dist/src/main.js": ${start}`);
  return flags[1].split(/\s+/).filter(Boolean);
}

/** The built server as its own process (so its memory can be measured apart from the benchmark's). */
export async function startChildServer(databaseUrl: string, env: Record<string, string> = {}, entry = 'dist/src/main.js'): Promise<ChildServer> {
  const { spawn } = await import('node:child_process');
  const dataDir = path.join(os.tmpdir(), `standpoint-bench-child-${randomBytes(4).toString('hex')}`);
  // BENCH_SERVER_NODE_ARGS profiles the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // The build, as `npm start` runs it (the bench scripts build first): a TypeScript loader in the
  // server would add its own memory and start-up work to the figures.
  const child = spawn(process.execPath, [...(await startScriptNodeFlags()), ...nodeArgs, entry], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', DATA_DIR: dataDir, API_KEYS: `bench:admin:${KEY}`, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', RATE_LIMIT_PER_MINUTE: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let listenedAt = 0;
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      if (process.env.BENCH_LOG_LEVEL) process.stderr.write(chunk);
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match && !listenedAt) {
        listenedAt = performance.now();
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    listenedAt,
    rssMiB: async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function httpJson(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Seconds each throughput case runs: BENCH_SECONDS, 5 by default, 1 for the smoke run. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? (SMOKE ? 1 : 5));

/**
 * Unmeasured load before a write case's turns (inTurns), for every side alike: on a fresh
 * cluster the first seconds of writes also create WAL segments, open pool connections and
 * compile the hot paths, and whichever side ran first paid for it (the same 5-second case gave
 * 20-30 % more on a second run, raw INSERTs and POST /events alike). BENCH_WARM_UP_SECONDS.
 */
export const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? (SMOKE ? 0 : 2));

/** CPU time a process has used, in ms, from /proc (Linux; 100 ticks a second). */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
}

async function postgresPids(): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const names = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')));
  return pids.filter((_, i) => names[i].trim() === 'postgres');
}

export interface CpuShare {
  /** CPU ms per operation spent by each party during the run. */
  msPerOperation: { server: number; postgres: number; loadGenerator: number; total: number };
  /** How many of the machine's cores the run kept busy, on average. */
  coresBusy: number;
}

/**
 * Where the CPU goes while operations run: the server process (if any), every PostgreSQL
 * process, and this process (the load generator), summed over every `during` call. On a machine
 * of two cores, a rate needing more than two cores' worth of the three together is out of reach.
 */
export type CpuMeter = ReturnType<typeof cpuMeter>;

export function cpuMeter(serverPid: number | undefined) {
  const spent = { server: 0, postgres: 0, loadGenerator: 0 };
  let operations = 0;
  let elapsedMs = 0;
  const sample = async () => {
    const postgres = new Map<number, number>();
    for (const pid of await postgresPids()) postgres.set(pid, await cpuMsOf(pid));
    const own = process.cpuUsage();
    return { server: serverPid === undefined ? 0 : await cpuMsOf(serverPid), postgres, loadGenerator: (own.user + own.system) / 1000, at: performance.now() };
  };
  return {
    /** Runs `work`, which answers how many operations it ran, and counts its CPU. */
    async during(work: () => Promise<number>): Promise<number> {
      const before = await sample();
      const n = await work();
      const after = await sample();
      // A backend that started during the run (a pool connecting lazily) used all its CPU in it.
      for (const [pid, ms] of after.postgres) spent.postgres += ms - (before.postgres.get(pid) ?? 0);
      spent.server += after.server - before.server;
      spent.loadGenerator += after.loadGenerator - before.loadGenerator;
      operations += n;
      elapsedMs += after.at - before.at;
      return n;
    },
    share(): CpuShare {
      const n = Math.max(1, operations);
      const per = (ms: number) => round(ms / n, 3);
      const total = spent.server + spent.postgres + spent.loadGenerator;
      return {
        msPerOperation: { server: per(spent.server), postgres: per(spent.postgres), loadGenerator: per(spent.loadGenerator), total: per(total) },
        coresBusy: round(total / Math.max(1, elapsedMs), 2),
      };
    },
  };
}

/**
 * Operations per second of rivals measured in turns: after WARM_UP_SECONDS of each, two rounds
 * of SECONDS / 2, in A B B A order, so that the drift of a shared machine (its disk's flush rate
 * moved 50 % within minutes) falls on every side alike. Each side runs its load for the seconds
 * it is given and answers how many operations it completed; a side's meter, if any, counts the
 * CPU of its measured turns only.
 */
export async function inTurns(sides: { run: (seconds: number, warmingUp: boolean) => Promise<number>; meter?: CpuMeter }[]): Promise<number[]> {
  if (WARM_UP_SECONDS > 0) for (const side of sides) await side.run(WARM_UP_SECONDS, true);
  const done = sides.map(() => 0);
  const rounds = SMOKE ? 1 : 2;
  for (let r = 0; r < rounds; r++) {
    const order = sides.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const { run, meter } = sides[i];
      const measured = () => run(SECONDS / rounds, false);
      done[i] += await (meter ? meter.during(measured) : measured());
    }
  }
  return done.map((n) => n / SECONDS);
}
