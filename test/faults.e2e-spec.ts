// Faults survived for real: PostgreSQL stopped and started under a running server, and the
// server killed with SIGKILL while the projector is mid-batch.
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { ensureDatabase } from '../src/database/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres.js';
import { startServer, type RunningServer } from '../src/server.js';
import { statement } from './support/envelopes.js';
import { ADMIN_KEY, EDITOR_KEY, freshDatabase } from './support/test-server.js';
import { generateHistory } from '../bench/generate.js';
import { startChildServer } from './support/child-server.js';
import { sleep, until } from './support/until.js';

const headers = { 'content-type': 'application/json', authorization: `Bearer ${EDITOR_KEY}` };
const post = (url: string, body: unknown, key = EDITOR_KEY) =>
  fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${key}` }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
const json = (r: Response): Promise<any> => r.json();

describe('PostgreSQL stopped and started while requests flow', () => {
  let pg: EmbeddedPostgresHandle;
  let server: RunningServer;
  const dataDir = path.join(os.tmpdir(), `standpoint-outage-${process.pid}`);

  beforeAll(async () => {
    pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg') });
    await ensureDatabase(pg.url, 'outage');
    const config = loadConfig({ PORT: '0', DATABASE_URL: pg.url.replace(/\/postgres$/, '/outage'), DATA_DIR: dataDir, API_KEYS: `editor:editor:${EDITOR_KEY}`, LOG_LEVEL: 'silent' });
    server = await startServer(config, () => {});
  });
  afterAll(async () => {
    await server?.close();
    await pg?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reports not ready, refuses writes with a prompt 503, recovers without a restart, and loses no acknowledged write', async () => {
    const acknowledged = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const reply = await post(`${server.url}/events`, statement());
      expect(reply.status).toBe(201);
      acknowledged.add((await json(reply)).id);
    }

    await pg.stop();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(503);
    expect(await json(health)).toMatchObject({ ready: false, database: 'down' });
    const started = Date.now();
    const refused = await post(`${server.url}/events`, statement());
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect(Date.now() - started).toBeLessThan(6000);

    await pg.restart();
    await until('readiness', async () => ((await fetch(`${server.url}/health`)).status === 200 ? true : undefined));
    const reply = await until('a write to succeed', async () => {
      const r = await post(`${server.url}/events`, statement());
      return r.status === 201 ? r : undefined;
    });
    acknowledged.add((await json(reply)).id);

    const page = await json(await fetch(`${server.url}/events?limit=1000`));
    expect(new Set(page.events.map((e: { id: string }) => e.id))).toEqual(acknowledged);
    await until('projections to catch up', async () => {
      const positions = await json(await fetch(`${server.url}/positions/hamas`));
      return positions.lastEventAt && (await json(await fetch(`${server.url}/health`))).projector.checkpoint >= page.next ? true : undefined;
    });
  });
});

describe('the server killed with SIGKILL while the projector is mid-batch', () => {
  let db: { url: string; drop(): Promise<void> };
  let child: ChildProcess | undefined;
  const dataDir = path.join(os.tmpdir(), `standpoint-kill-${process.pid}`);

  const startChild = async () => {
    const server = await startChildServer({ DATABASE_URL: db.url, DATA_DIR: dataDir, API_KEYS: `editor:editor:${EDITOR_KEY},admin:admin:${ADMIN_KEY}` });
    child = server.process;
    return server;
  };

  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('restarts into read models equal to a fresh rebuild: nothing lost, nothing applied twice', async () => {
    const first = await startChild();
    const events = [...generateHistory(6000, 7)];
    for (let i = 0; i < events.length; i += 1000) {
      expect((await post(`${first.url}/events/batch`, { events: events.slice(i, i + 1000) })).status).toBe(201);
    }
    // Kill while the projector is part-way through the log.
    await until('the projector to be mid-way', async () => {
      const { projector } = await json(await fetch(`${first.url}/health`));
      return projector.checkpoint > 0 && projector.checkpoint < projector.head ? true : undefined;
    });
    first.process.kill('SIGKILL');
    await new Promise((r) => first.process.once('exit', r));

    const second = await startChild();
    const settled = async () => {
      const { body } = { body: await json(await fetch(`${second.url}/admin/projections`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })) };
      return body.projections.every((p: any) => !p.rebuilding && p.activeCheckpoint >= body.head) ? true : undefined;
    };
    await until('catch-up after the restart', settled, 120_000);
    const read = () => Promise.all(['/positions', '/proposals', '/status', '/timeline?from=2024-01-01&to=2024-03-01'].map(async (r) => (await fetch(`${second.url}${r}`)).json()));
    const recovered = await read();
    expect((await post(`${second.url}/admin/projections/rebuild`, {}, ADMIN_KEY)).status).toBe(202);
    await sleep(100);
    await until('the rebuild', settled, 120_000);
    expect(await read()).toEqual(recovered);
    second.process.kill('SIGTERM');
    await new Promise((r) => second.process.once('exit', r));
  });
});

describe('npm start as a newcomer runs it: embedded PostgreSQL, first-run key, SIGTERM', () => {
  const dataDir = path.join(os.tmpdir(), `standpoint-newcomer-${process.pid}`);

  const start = () => startChildServer({ DATA_DIR: dataDir, DATABASE_URL: undefined, API_KEYS: undefined });

  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('prints a working admin key once, finishes cleanly on SIGTERM and stops its PostgreSQL', async () => {
    const first = await start();
    const key = /(sp_[A-Za-z0-9_-]+)/.exec(first.output())![1];
    expect((await post(`${first.url}/events`, statement(), key)).status).toBe(201);
    first.process.kill('SIGTERM');
    const code = await new Promise((r) => first.process.once('exit', r));
    expect(code).toBe(0);
    await expect(import('node:fs/promises').then((fs) => fs.access(path.join(dataDir, 'pg', 'postmaster.pid')))).rejects.toThrow();

    const second = await start();
    expect(second.output()).not.toContain(key);
    expect((await post(`${second.url}/events`, statement(), key)).status).toBe(201);
    const page = await json(await fetch(`${second.url}/events`));
    expect(page.events).toHaveLength(2);
    second.process.kill('SIGTERM');
    expect(await new Promise((r) => second.process.once('exit', r))).toBe(0);
  }, 60_000);
});
