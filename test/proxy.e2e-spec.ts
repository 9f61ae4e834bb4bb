// The scaled form, run for real: Debian's nginx (docker/nginx/site.conf, as docker compose
// uses it) in front of three servers started at once on a fresh database. Writes and reads,
// the stream, a rate limit per real client, the page over plain HTTP in Chromium, and a
// server SIGKILLed behind the proxy with nothing lost. .ci/run installs nginx and Chromium
// (apt-get); without nginx this file says so and runs nothing.
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../src/database/database.js';
import { nginxBinary, startTopology, type Topology } from '../scripts/topology.js';
import { statement } from './support/envelopes.js';
import { openStream } from './support/sse.js';
import { EDITOR_KEY, freshDatabase } from './support/test-server.js';
import { until } from './support/until.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const suite = nginxBinary() ? describe : describe.skip;
if (!nginxBinary()) console.warn('proxy.e2e-spec: nginx is not installed (apt-get install nginx; .ci/run does it)');
const LIMIT = 200;

/** A request from a given loopback address: a distinct client, as nginx sees it. */
function from(address: string, url: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    const request = http.request(url, { method: init.method ?? 'GET', localAddress: address, headers: { authorization: `Bearer ${EDITOR_KEY}`, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // nginx's own error pages are HTML
        }
        resolve({ status: res.statusCode!, body });
      });
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/** Posts an event until it is stored, as a careful client does: the same id again after a 502. */
async function postSurely(url: string, event: unknown, address = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const reply = await from(address, `${url}/events`, { method: 'POST', body: event }).catch(() => undefined);
    if (reply && (reply.status === 201 || reply.status === 200)) return reply.status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('not stored after 10 attempts');
}

suite('three servers behind nginx', () => {
  let topology: Topology;
  let db: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    db = await freshDatabase();
    topology = await startTopology({
      servers: 3,
      databaseUrl: db.url,
      dir: path.resolve(`.data/proxy-${process.pid}`),
      env: { API_KEYS: `editor:editor:${EDITOR_KEY}`, RATE_LIMIT_PER_MINUTE: String(LIMIT) },
    });
  }, 120_000);
  afterAll(async () => {
    await topology?.stop();
    await db?.drop();
  });

  it('every server came up on the fresh database, which was migrated once', async () => {
    for (const s of topology.servers) expect((await fetch(`${s.url}/health`)).status).toBe(200);
    const check = new DataSource({ type: 'postgres', url: db.url });
    await check.initialize();
    try {
      const [{ n }] = await check.query('SELECT count(*)::int AS n FROM migrations');
      expect(n).toBe(MIGRATIONS.length);
    } finally {
      await check.destroy();
    }
  });

  it('takes writes and reads through the proxy, and streams through it', async () => {
    const stream = openStream(`${topology.url}/stream`);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const event = statement('qatar', 'negotiations', 'supports');
      expect(await postSurely(topology.url, event)).toBe(201);
      await until('the event on the stream', async () => (stream.frames.some((f) => f.event === 'appended' && f.data.id === event.id) ? true : undefined));
      await until('the position', async () => {
        const qatar: any = await (await fetch(`${topology.url}/positions/qatar`)).json();
        return qatar.stances?.negotiations?.stance === 'supports' ? true : undefined;
      });
    } finally {
      await stream.close();
    }
  });

  it('limits each real client on its own, as the proxy names it', async () => {
    // Each client sticks to one server (nginx hashes its address), whose limit is the client's.
    const replies: { status: number }[] = [];
    for (let i = 0; i <= LIMIT; i++) replies.push(await from('127.0.0.2', `${topology.url}/actors`));
    expect(replies.slice(0, LIMIT - 5).every((r) => r.status === 200)).toBe(true);
    expect(replies.at(-1)!.status).toBe(429);
    expect((await from('127.0.0.3', `${topology.url}/actors`)).status).toBe(200);
    // A client cannot pass itself off as another: nginx replaces what it sends.
    const spoofed = await new Promise<number>((resolve, reject) => {
      http.get(`${topology.url}/actors`, { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '10.9.8.7' } }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject);
    });
    expect(spoofed).toBe(429);
  });

  (existsSync(CHROMIUM) ? it : it.skip)('serves the page over plain HTTP with its scripts and styles running', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (m) => m.type() === 'error' && refused.push(m.text()));
      await page.goto(topology.url);
      await page.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
      const styled = await page.locator('body').evaluate((body) => (body.ownerDocument.defaultView as any).getComputedStyle(body).fontFamily as string);
      expect(styled).not.toBe('');
      expect(refused.filter((t) => /Content Security Policy|Refused/.test(t))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('loses nothing when a server is SIGKILLed behind the proxy', async () => {
    const events = Array.from({ length: 60 }, () => statement('egypt', 'negotiations', 'supports'));
    const posting = (async () => {
      for (const e of events) await postSurely(topology.url, e, '127.0.0.5');
    })();
    await new Promise((r) => setTimeout(r, 150));
    await topology.kill(0);
    await new Promise((r) => setTimeout(r, 150));
    await topology.kill(1);
    await posting;
    await until('every event through the proxy', async () => {
      const page: any = await (await fetch(`${topology.url}/events?actor=egypt&limit=1000`)).json();
      const ids = new Set(page.events.map((e: { id: string }) => e.id));
      return events.every((e) => ids.has(e.id)) && page.events.length === events.length ? true : undefined;
    });
  }, 60_000);
});
