// READ_ACCESS=key and the page (issue 20). The API: POST /stream/token trades a key for a
// short-lived, signed token that opens GET /stream as `?token=` (EventSource sends no headers),
// and nothing else; forged, expired and misplaced tokens are refused. The page, in Debian's
// Chromium: it asks for a key, shows a wrong one's problem, keeps the right one in
// sessionStorage only, and follows the stream through a token, reopening it with a fresh one.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { hashSecret } from '../src/auth/api-keys.js';
import { signStreamToken, STREAM_TOKEN_TTL_S, streamTokenSecret } from '../src/auth/stream-token.js';
import { StreamService } from '../src/stream/stream.service.js';
import { statement } from './support/envelopes.js';
import { fixture } from './support/fixtures.js';
import { openStream } from './support/sse.js';
import { story } from './support/story.js';
import { ADMIN_KEY, EDITOR_KEY, TestApp } from './support/test-server.js';
import { sleep, until } from './support/until.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const founding = fixture('founding-week').events;

/**
 * A token made as the documentation says, without asking the server: the secret from the
 * configured keys' hashes (TestApp's API_KEYS), whatever `exp` the test needs.
 */
const deploymentSecret = streamTokenSecret([hashSecret(EDITOR_KEY), hashSecret(ADMIN_KEY)]);
const made = (exp: number, name: string | null = 'editor', secret = deploymentSecret) => signStreamToken(secret, { name, exp });
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

/** Opens the stream only to look at its status (and a refusal's body), then lets go. */
async function probe(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const body: any = response.status === 200 ? undefined : await response.json();
  controller.abort();
  return { status: response.status, headers: response.headers, body };
}

describe('stream tokens under READ_ACCESS=key', () => {
  let app: TestApp;
  let open: TestApp;

  beforeAll(async () => {
    [app, open] = await Promise.all([TestApp.start({ READ_ACCESS: 'key' }), TestApp.start()]);
  });
  afterAll(() => Promise.all([app?.stop(), open?.stop()]));

  const token = async (key: string | null = EDITOR_KEY) => app.request('POST', '/stream/token', undefined, { key });

  it('POST /stream/token needs a valid key of any role, and answers a token good for five minutes', async () => {
    const none = await token(null);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await token('not-a-key-0123456789')).body).toMatchObject({ status: 401, detail: 'The API key is not valid.' });

    for (const key of [EDITOR_KEY, ADMIN_KEY]) {
      const before = Date.now();
      const reply = await token(key);
      expect(reply.status).toBe(200);
      expect(reply.headers.get('cache-control')).toBe('no-store');
      expect(Object.keys(reply.body).sort()).toEqual(['expiresAt', 'token']);
      expect(reply.body.token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
      expect(reply.body.token).not.toContain(key);
      const expires = Date.parse(reply.body.expiresAt);
      expect(expires).toBeGreaterThan(before + (STREAM_TOKEN_TTL_S - 2) * 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + STREAM_TOKEN_TTL_S * 1000);
      // A statement of the key's name and expiry, nothing more.
      const claims = JSON.parse(Buffer.from(reply.body.token.split('.')[0], 'base64url').toString());
      expect(claims).toEqual({ name: key === EDITOR_KEY ? 'editor' : 'admin', exp: expires / 1000 });
    }
  });

  it('GET /stream?token= opens the stream without an Authorization header, and it carries what is posted', async () => {
    const { token: issued } = (await token()).body;
    const stream = openStream(`${app.url}/stream?token=${encodeURIComponent(issued)}`);
    try {
      await until('the stream to open', async () => stream.contentType() ?? undefined, 10_000);
      expect(stream.contentType()).toMatch(/^text\/event-stream/);
      await sleep(300);
      const posted = await app.post('/events', statement('hamas', 'negotiations', 'conditional'));
      expect(posted.status).toBe(201);
      const frame = await until('the posted event on the stream', async () => stream.frames.find((f) => f.event === 'appended' && f.data.id === posted.body.id), 10_000);
      expect(Number(frame.id)).toBe(posted.body.position);
    } finally {
      await stream.close();
    }
    // With the other filters and `after`, as the page resumes.
    expect((await probe(`${app.url}/stream?after=0&actor=hamas&token=${encodeURIComponent(issued)}`)).status).toBe(200);
  });

  it('the secret is derived from the keys alone: a token made from the same API_KEYS opens the stream', async () => {
    expect((await probe(`${app.url}/stream?token=${made(inSeconds(60))}`)).status).toBe(200);
  });

  it('refuses an expired, forged or malformed token with 401 problem+json', async () => {
    const good = (await token()).body.token as string;
    const [payload, signature] = good.split('.');
    const respelled = `${signature.slice(0, -1)}${B64URL[B64URL.indexOf(signature.at(-1)!) ^ 1]}`;
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    const otherSecret = streamTokenSecret([hashSecret('another-deployment-0123456789')]);
    const cases: [string, string, RegExp][] = [
      ['expired', made(inSeconds(-1)), /expired/],
      ['expired long ago', made(inSeconds(-STREAM_TOKEN_TTL_S - 3600)), /expired/],
      ['signed with another secret', made(inSeconds(60), 'editor', otherSecret), /not valid/],
      ['a longer life, same signature', `${Buffer.from(JSON.stringify({ name: 'editor', exp: inSeconds(86_400) })).toString('base64url')}.${signature}`, /not valid/],
      ['another name, same signature', `${Buffer.from(JSON.stringify({ name: 'admin', exp: JSON.parse(Buffer.from(payload, 'base64url').toString()).exp })).toString('base64url')}.${signature}`, /not valid/],
      ['a signature changed', `${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`, /not valid/],
      // The last character's two spare bits: the same bytes, not the same token.
      ['a signature spelt otherwise', `${payload}.${respelled}`, /not valid/],
      ['no signature', payload, /not valid/],
      ['a key for a token', EDITOR_KEY, /not valid/],
      ['a key nobody has', made(inSeconds(60), 'nobody'), /names no API key/],
      ['issued without a key (READ_ACCESS=open)', made(inSeconds(60), null), /names no API key/],
      ['empty', '', /not valid/],
    ];
    for (const [what, bad, detail] of cases) {
      const reply = await probe(`${app.url}/stream?token=${encodeURIComponent(bad)}`);
      expect({ what, status: reply.status, type: reply.headers.get('content-type') }).toEqual({ what, status: 401, type: expect.stringMatching(/^application\/problem\+json/) });
      expect({ what, detail: reply.body.detail }).toEqual({ what, detail: expect.stringMatching(detail) });
    }
    // A bad token decides alone: a valid key beside it does not let it through.
    expect((await probe(`${app.url}/stream?token=${made(inSeconds(-1))}`, { authorization: `Bearer ${EDITOR_KEY}` })).status).toBe(401);
  });

  it('a token opens nothing but GET /stream', async () => {
    const issued = (await token()).body.token as string;
    // In the query: /positions takes no token (no key → 401; with a key, an unknown parameter → 400).
    expect((await app.get(`/positions?token=${encodeURIComponent(issued)}`, null)).status).toBe(401);
    expect((await app.get(`/positions?token=${encodeURIComponent(issued)}`, EDITOR_KEY)).status).toBe(400);
    // As a Bearer key: a token is no key, not even on /stream.
    for (const route of ['/positions', '/timeline', '/events', '/docs-json', '/stream']) {
      const reply = await probe(`${app.url}${route}`, { authorization: `Bearer ${issued}` });
      expect({ route, status: reply.status }).toEqual({ route, status: 401 });
    }
    // Nor a write, nor a token for a token.
    expect((await app.request('POST', '/events', statement(), { key: issued })).status).toBe(401);
    expect((await app.request('POST', '/stream/token', undefined, { key: issued })).status).toBe(401);
  });

  it('under READ_ACCESS=open no key is needed: a token is handed out without one, and the stream needs none', async () => {
    const reply = await open.request('POST', '/stream/token', undefined, { key: null });
    expect(reply.status).toBe(200);
    expect(JSON.parse(Buffer.from(reply.body.token.split('.')[0], 'base64url').toString()).name).toBeNull();
    expect((await probe(`${open.url}/stream`)).status).toBe(200);
    expect((await probe(`${open.url}/stream?token=${encodeURIComponent(reply.body.token)}`)).status).toBe(200);
    // The same API_KEYS, the same secret: but a token naming no key opens nothing under key mode.
    expect((await probe(`${app.url}/stream?token=${encodeURIComponent(reply.body.token)}`)).status).toBe(401);
  });

  it('documents POST /stream/token and the token parameter of GET /stream', async () => {
    const document = (await app.get('/docs-json', EDITOR_KEY)).body;
    const post = document.paths['/stream/token'].post;
    expect(post.responses['200'].content['application/json'].schema).toMatchObject({ type: 'object', required: ['token', 'expiresAt'] });
    expect(post.responses['401'].content['application/problem+json']).toBeDefined();
    expect(document.paths['/stream'].get.parameters).toContainEqual(expect.objectContaining({ name: 'token', in: 'query', required: false }));
  });
});

const suite = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`page-key.e2e-spec: no browser at ${CHROMIUM} (apt-get install chromium; .ci/run does it)`);

suite('the page under READ_ACCESS=key, in a real browser', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const chip = (actor: string, issue: string) => page.locator(`td[data-actor="${actor}"][data-issue="${issue}"] .chip`);
  const chipBecomes = (actor: string, issue: string, stance: string) =>
    page.waitForFunction(
      ([a, i, s]) => (globalThis as any).document.querySelector(`td[data-actor="${a}"][data-issue="${i}"] .chip`)?.textContent === s,
      [actor, issue, stance] as const,
      { timeout: 15_000 },
    );

  beforeAll(async () => {
    app = await TestApp.start({ READ_ACCESS: 'key' });
    await story(app).given(founding);
    await app.settled();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(app.url);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('asks for a key, and shows the problem with a wrong one', async () => {
    await page.locator('#keyForm').waitFor({ state: 'visible' });
    await page.locator('body[data-needs-key="true"]').waitFor();
    await expect(page.locator('#key').getAttribute('type')).resolves.toBe('password');
    await expect(page.locator('body[data-ready="true"]').count()).resolves.toBe(0);
    await page.locator('#key').fill('wrong-key-0123456789');
    await page.locator('#keyForm button[type="submit"]').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#keyProblem')?.textContent === 'The API key is not valid.', undefined, { timeout: 10_000 });
    await expect(page.locator('#keyForm').isVisible()).resolves.toBe(true);
    await expect(page.evaluate(() => (globalThis as any).sessionStorage.length)).resolves.toBe(0);
  });

  it('with the editor key, shows the matrix; the key stays in sessionStorage, out of the URL and localStorage', async () => {
    await page.locator('#key').fill(EDITOR_KEY);
    await page.locator('#keyForm button[type="submit"]').click();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
    await expect(page.locator('#keyForm').isVisible()).resolves.toBe(false);
    await expect(chip('hamas', 'permanent-ceasefire').textContent()).resolves.toBe('demands');
    await expect(chip('israel', 'permanent-ceasefire').textContent()).resolves.toBe('opposes');
    const storage = await page.evaluate(() => {
      const g = globalThis as any;
      return { session: Object.values({ ...g.sessionStorage }), local: g.localStorage.length, url: g.location.href };
    });
    expect(storage.session).toEqual([EDITOR_KEY]);
    expect(storage.local).toBe(0);
    expect(storage.url).not.toContain(EDITOR_KEY);
    expect(requests.filter((url) => url.includes(EDITOR_KEY))).toEqual([]);
    // The stream was opened with a token, not a key.
    await until('the stream to be opened', async () => requests.find((url) => /\/stream\?.*token=/.test(url)), 10_000);
  });

  it('changes a chip live when an event is posted through the API: the token-opened stream works', async () => {
    await page.locator('#live', { hasText: 'Live:' }).waitFor({ timeout: 10_000 });
    const reply = await app.post('/events', {
      type: 'StatementIssued',
      occurredAt: '2023-12-22',
      sources: [{ outlet: 'Reuters', attribution: 'official' }],
      data: { actor: 'hamas', stances: [{ issue: 'temporary-ceasefire', stance: 'conditional', conditions: ['a longer truce'] }], summary: 'Hamas signals it could accept a longer truce.' },
    });
    expect(reply.status).toBe(201);
    await chipBecomes('hamas', 'temporary-ceasefire', 'conditional');
  });

  it('when the stream drops, reopens it with a fresh token, resuming after the last event it saw', async () => {
    const streamsBefore = requests.filter((url) => url.includes('/stream?')).length;
    const tokensBefore = requests.filter((url) => url.endsWith('/stream/token')).length;
    const lastSeen = (await app.db.query('SELECT max(position)::text AS p FROM events'))[0].p as string;
    // Cut every stream on the server, as a restart or a proxy would.
    const clients = (app.server.app.get(StreamService) as unknown as { clients: Set<{ res: { destroy(): void } }> }).clients;
    expect(clients.size).toBeGreaterThan(0);
    for (const client of clients) client.res.destroy();
    const reopened = await until('the stream to be reopened', async () => requests.filter((url) => url.includes('/stream?')).slice(streamsBefore).find((url) => url.includes('token=')), 15_000);
    expect(requests.filter((url) => url.endsWith('/stream/token')).length).toBeGreaterThan(tokensBefore);
    expect(new URL(reopened).searchParams.get('after')).toBe(lastSeen);
    await page.locator('#live', { hasText: 'Live:' }).waitFor({ timeout: 15_000 });
    const reply = await app.post('/events', statement('hamas', 'temporary-ceasefire', 'supports', { occurredAt: '2023-12-23', reportedAt: '2023-12-23' }));
    expect(reply.status).toBe(201);
    await chipBecomes('hamas', 'temporary-ceasefire', 'supports');
  });

  it('a reload in the same tab uses the kept key without asking', async () => {
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
    await expect(page.locator('#keyForm').isVisible()).resolves.toBe(false);
    await expect(chip('hamas', 'temporary-ceasefire').textContent()).resolves.toBe('supports');
  });
});
