// A fresh database per test file on the run's PostgreSQL, and the real server on top of it.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/config.js';
import { createScratchDatabase } from '../../src/database/database.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { StoredEvent } from '../../src/event-store/event-store.js';
import { stored } from './history.js';

export const EDITOR_KEY = 'editor-secret-0123456789';
export const ADMIN_KEY = 'admin-secret-0123456789';

export async function testServerUrl(): Promise<string> {
  if (process.env.STANDPOINT_TEST_SERVER) return process.env.STANDPOINT_TEST_SERVER;
  return JSON.parse(await readFile(path.resolve('.data/test-server.json'), 'utf8')).url;
}

/** Creates an empty database for one test file and returns its URL. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createScratchDatabase(await testServerUrl(), 'standpoint_test');
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export class TestApp {
  private constructor(
    readonly server: RunningServer,
    readonly databaseUrl: string,
    private readonly cleanup: () => Promise<void>,
  ) {}

  /** The server's own connection pool, for looking at the database directly. */
  get db(): DataSource {
    return this.server.app.get(DataSource);
  }

  /** A server on a fresh database, or on `db` when a test has prepared one. */
  static async start(env: Record<string, string> = {}, db?: { url: string; drop(): Promise<void> }): Promise<TestApp> {
    db ??= await freshDatabase();
    const dataDir = path.resolve(`.data/test-app-${randomBytes(4).toString('hex')}`);
    await mkdir(dataDir, { recursive: true });
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      API_KEYS: `editor:editor:${EDITOR_KEY},admin:admin:${ADMIN_KEY}`,
      LOG_LEVEL: 'silent',
      ...env,
    });
    const server = await startServer(config, () => {});
    return new TestApp(server, db.url, async () => {
      await db!.drop();
      await rm(dataDir, { recursive: true, force: true });
    });
  }

  get url(): string {
    return this.server.url;
  }

  async stop(): Promise<void> {
    await this.server.close();
    await this.cleanup();
  }

  async request<T = any>(method: string, route: string, body?: unknown, options: { key?: string | null; headers?: Record<string, string>; raw?: string | Uint8Array } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? EDITOR_KEY : options.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let payload: string | Uint8Array | undefined = options.raw;
    if (body !== undefined && payload === undefined) payload = JSON.stringify(body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.url}${route}`, { method, headers, body: payload });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(route: string, key: string | null = null) {
    return this.request<T>('GET', route, undefined, { key });
  }

  post<T = any>(route: string, body: unknown, key: string | null = EDITOR_KEY) {
    return this.request<T>('POST', route, body, { key });
  }

  /**
   * Posts a history as one batch and answers it as the specification takes it: the events as
   * stored, with the positions the server gave them (they differ from arrival order's).
   */
  async postHistory(envelopes: unknown[]): Promise<StoredEvent[]> {
    const posted = await this.post('/events/batch', { events: envelopes });
    if (posted.status !== 201) throw new Error(`batch refused: ${JSON.stringify(posted.body)}`);
    const byId = new Map(posted.body.events.map((e: { id: string; position: number }) => [e.id, e.position]));
    return stored(envelopes).map((e) => ({ ...e, position: byId.get(e.id) as number }));
  }

  /** How many events the log holds, straight from PostgreSQL. */
  async eventCount(): Promise<number> {
    const [row] = await this.db.query('SELECT count(*)::int AS n FROM events');
    return row.n;
  }

  /** Waits until a rebuild has switched every projection over, and the read models have caught up. */
  async rebuilt(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.get('/admin/projections', ADMIN_KEY)).body.projections.every((p: { rebuilding: boolean }) => !p.rebuilding)) {
      if (Date.now() > deadline) throw new Error('the rebuild did not finish');
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.settled(timeoutMs);
  }

  /** Waits until the read models reflect everything appended so far. */
  async settled(timeoutMs = 15_000): Promise<void> {
    const [{ head }] = await this.db.query('SELECT coalesce(max(position), 0)::bigint AS head FROM events');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await this.db.query('SELECT coalesce(min(active_checkpoint), 0)::bigint AS p, count(*)::int AS n FROM projection_state');
      if (states[0].n > 0 && Number(states[0].p) >= Number(head)) return;
      if (Date.now() > deadline) throw new Error(`projections stuck at ${states[0].p}, head ${head}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
