// What every benchmark needs: a PostgreSQL (embedded by default, DATABASE_URL otherwise) with a
// fresh database, a Standpoint server on it, loading a history, percentiles, and writing results.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
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
  /** Resident memory of the server process, in MiB. */
  rssMiB(): Promise<number>;
  stop(): Promise<void>;
}

/** The built server as its own process (so its memory can be measured apart from the benchmark's). */
export async function startChildServer(databaseUrl: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const { spawn } = await import('node:child_process');
  const { readFile } = await import('node:fs/promises');
  const dataDir = path.join(os.tmpdir(), `standpoint-bench-child-${randomBytes(4).toString('hex')}`);
  // BENCH_SERVER_NODE_ARGS profiles the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // The build, as `npm start` runs it (the bench scripts build first): a TypeScript loader in the
  // server would add its own memory and start-up work to the figures.
  const child = spawn(process.execPath, [...nodeArgs, 'dist/src/main.js'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', DATA_DIR: dataDir, API_KEYS: `bench:admin:${KEY}`, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', RATE_LIMIT_PER_MINUTE: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      if (process.env.BENCH_LOG_LEVEL) process.stderr.write(chunk);
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
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
