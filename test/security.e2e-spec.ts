// Who gets in and how often: rate limits, security headers, keys kept out of answers.
import { statement } from './support/envelopes.js';
import { EDITOR_KEY, TestApp } from './support/test-server.js';

describe('security', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start({ RATE_LIMIT_PER_MINUTE: '5', READ_ACCESS: 'key' });
  });
  afterAll(() => app.stop());

  it('over the per-minute limit a client gets 429 with Retry-After, and nothing is appended', async () => {
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await app.post('/events', statement()));
    expect(replies.slice(0, 5).map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(replies[5].status).toBe(429);
    expect(replies[5].headers.get('retry-after')).toMatch(/^\d+$/);
    expect(replies[5].headers.get('content-type')).toMatch(/problem\+json/);
    expect(await app.eventCount()).toBe(5);
  });

  it('sends security headers on every answer: API, problem, unknown route and the page', async () => {
    const other = await TestApp.start();
    try {
      for (const path of ['/health', '/positions/nobody', '/no-such-route', '/']) {
        const reply = await other.get(path);
        expect({ path, nosniff: reply.headers.get('x-content-type-options') }).toEqual({ path, nosniff: 'nosniff' });
        expect(reply.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(reply.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
        expect(reply.headers.get('content-security-policy')).toContain("default-src 'self'");
      }
      // What only a rendered document needs comes with the page and Swagger UI, not with JSON.
      const documentOnly = ['origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection'];
      for (const path of ['/', '/docs']) {
        const headers = (await other.get(path)).headers;
        expect({ path, sent: documentOnly.filter((name) => headers.has(name)) }).toEqual({ path, sent: documentOnly });
      }
      for (const path of ['/positions', '/positions/hamas', '/health', '/no-such-route']) {
        const headers = (await other.get(path)).headers;
        expect({ path, sent: documentOnly.filter((name) => headers.has(name)) }).toEqual({ path, sent: [] });
      }
    } finally {
      await other.stop();
    }
  });

  it('the page may be served over plain HTTP: no upgrade-insecure-requests, and inline code only on /docs', async () => {
    const other = await TestApp.start();
    try {
      const page = (await other.get('/')).headers.get('content-security-policy')!;
      expect(page).not.toContain('upgrade-insecure-requests');
      expect(page).not.toContain("'unsafe-inline'");
      expect((await other.get('/positions')).headers.get('content-security-policy')).not.toContain("'unsafe-inline'");
      expect((await other.get('/docs')).headers.get('content-security-policy')).toContain("script-src 'self' 'unsafe-inline'");
    } finally {
      await other.stop();
    }
  });

  it('with READ_ACCESS=key, reads need a key too', async () => {
    const other = await TestApp.start({ READ_ACCESS: 'key' });
    try {
      expect((await other.get('/positions')).status).toBe(401);
      expect((await other.get('/positions', EDITOR_KEY)).status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});
