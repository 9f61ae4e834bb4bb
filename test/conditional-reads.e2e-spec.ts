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
