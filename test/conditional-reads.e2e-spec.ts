// Every read answer carries an ETag; sent back as If-None-Match it gets 304 until the answer
// changes — a new event, another view — and then the new answer with a new tag.
import { statement } from './support/envelopes.js';
import { TestApp } from './support/test-server.js';

describe('conditional reads', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
    expect((await app.post('/events', statement())).status).toBe(201);
    await app.settled();
  });
  afterAll(() => app.stop());

  it.each(['/positions', '/positions/hamas', '/proposals', '/timeline', '/status', '/agreements', '/events', '/actors'])('%s: 304 for the same answer, 200 with a new tag once it changes', async (route) => {
    const first = await app.get(route);
    const tag = first.headers.get('etag')!;
    expect(tag).toMatch(/^W\/".+"$/);
    const again = await app.request('GET', route, undefined, { key: null, headers: { 'if-none-match': tag } });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get('etag')).toBe(tag);
    // Another view of the same route is another answer.
    if (route !== '/events' && route !== '/actors') {
      const earlier = await app.request('GET', `${route}?asOf=2023-12-18`, undefined, { key: null, headers: { 'if-none-match': tag } });
      expect(earlier.status).toBe(200);
    }
  });

  it('a new event changes the answer and its tag', async () => {
    const before = (await app.get('/positions/qatar')).headers.get('etag')!;
    expect((await app.post('/events', statement('qatar', 'negotiations', 'supports'))).status).toBe(201);
    await app.settled();
    const after = await app.request('GET', '/positions/qatar', undefined, { key: null, headers: { 'if-none-match': before } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before);
  });

  it('problems carry no tag', async () => {
    expect((await app.get('/positions/atlantis')).headers.get('etag')).toBeNull();
  });
});

describe('current answers served ahead of the framework', () => {
  // With no rate limit, no read key and no request log, a plain GET for the current positions is
  // answered from what the last such request was sent (src/http/current-answers.ts).
  let app: TestApp;
  // As a load generator asks: no key, no compression.
  const plain = (route: string, headers: Record<string, string> = {}) => app.request('GET', route, undefined, { key: null, headers: { 'accept-encoding': 'identity', ...headers } });
  const sent = (r: Awaited<ReturnType<typeof plain>>) => ({ status: r.status, body: r.body, headers: Object.fromEntries([...r.headers].filter(([name]) => name !== 'date')) });

  beforeAll(async () => {
    app = await TestApp.start({ RATE_LIMIT_PER_MINUTE: '0' });
    expect((await app.post('/events', statement())).status).toBe(201);
    await app.settled();
  });
  afterAll(() => app.stop());

  it('answer a plain request with the very status, headers and body the long way gave', async () => {
    for (const route of ['/positions', '/positions/hamas']) {
      const [first, second, third] = [await plain(route), await plain(route), await plain(route)];
      expect(sent(second)).toEqual(sent(first));
      expect(sent(third)).toEqual(sent(first));
      expect(first.headers.get('content-security-policy')).toBeTruthy();
    }
    // Another Accept is another answer; a conditional request still gets its 304.
    const csv = [await plain('/positions', { accept: 'text/csv' }), await plain('/positions', { accept: 'text/csv' })];
    expect(csv.map((r) => r.headers.get('content-type'))).toEqual(['text/csv; charset=utf-8', 'text/csv; charset=utf-8']);
    expect(csv[1].body).toBe(csv[0].body);
    const tag = (await plain('/positions')).headers.get('etag')!;
    expect((await plain('/positions', { 'if-none-match': tag })).status).toBe(304);
    // Compressed for a client that asks (kept compressed), and not for one that does not.
    const gzipped = [await plain('/positions', { 'accept-encoding': 'gzip' }), await plain('/positions', { 'accept-encoding': 'gzip' })];
    expect(gzipped.map((r) => r.headers.get('content-encoding'))).toEqual(['gzip', 'gzip']);
    expect(gzipped[1].body).toEqual((await plain('/positions')).body);
  });

  it('count in the metrics as every request does', async () => {
    const count = async () => {
      const line = (await app.get('/metrics')).body.split('\n').find((l: string) => l.startsWith('standpoint_http_request_duration_seconds_count{') && l.includes('route="/positions/:actor"') && l.includes('status="200"'));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const before = await count();
    for (let i = 0; i < 5; i++) await plain('/positions/hamas');
    expect(await count()).toBe(before + 5);
  });

  it('count toward the rate limit as every request does, each with its own count', async () => {
    const limited = await TestApp.start({ RATE_LIMIT_PER_MINUTE: '30' });
    try {
      // Bursts, so that most are answered ahead of the framework, some the long way.
      const replies = [];
      for (let i = 0; i < 4; i++) replies.push(...(await Promise.all(Array.from({ length: 10 }, () => limited.request('GET', '/positions/hamas', undefined, { key: null, headers: { 'accept-encoding': 'identity' } })))));
      const answered = replies.filter((r) => r.status === 200);
      expect(answered).toHaveLength(30);
      expect(answered.map((r) => Number(r.headers.get('ratelimit-remaining'))).sort((a, b) => b - a)).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
      expect(new Set(answered.map((r) => r.headers.get('ratelimit-limit')))).toEqual(new Set(['30']));
      expect(replies.filter((r) => r.status === 429)).toHaveLength(10);
    } finally {
      await limited.stop();
    }
  });

  it('show a new event within a few milliseconds of the read models', async () => {
    await plain('/positions/qatar');
    expect((await app.post('/events', statement('qatar', 'negotiations', 'opposes'))).status).toBe(201);
    await app.settled();
    await new Promise((r) => setTimeout(r, 20));
    expect((await plain('/positions/qatar')).body.stances.negotiations.stance).toBe('opposes');
  });
});
