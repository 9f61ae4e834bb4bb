// GET /stream: events as they are stored, stance cells as they change, and a reconnect with
// Last-Event-ID that misses nothing and repeats nothing.
import { statement } from './support/envelopes.js';
import { openStream } from './support/sse.js';
import { TestApp } from './support/test-server.js';

/** Opens the stream on the test server. */
function open(app: TestApp, query = '', lastEventId?: string) {
  const stream = openStream(`${app.url}/stream${query}`, lastEventId ? { 'last-event-id': lastEventId } : {});
  return {
    frames: stream.frames,
    close: async () => {
      await stream.close();
      expect(stream.contentType()).toMatch(/^text\/event-stream/);
    },
  };
}

async function until(check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /stream', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.stop());

  it('sends each stored event and each changed stance cell, filtered by actor', async () => {
    const stream = open(app, '?actor=hamas');
    await new Promise((r) => setTimeout(r, 300));
    const posted = [await app.post('/events', statement('hamas', 'negotiations', 'opposes')), await app.post('/events', statement('israel', 'negotiations', 'supports')), await app.post('/events', statement('hamas', 'negotiations', 'conditional'))];
    await until(() => stream.frames.filter((f) => f.event === 'appended').length === 2 && stream.frames.some((f) => f.event === 'position' && f.data.cell.stance === 'conditional'));
    await stream.close();
    const appended = stream.frames.filter((f) => f.event === 'appended');
    expect(appended.map((f) => f.data.id)).toEqual([posted[0].body.id, posted[2].body.id]);
    expect(appended.map((f) => Number(f.id))).toEqual([posted[0].body.position, posted[2].body.position]);
    expect(stream.frames.filter((f) => f.event === 'position').every((f) => f.data.actor === 'hamas' && f.data.issue === 'negotiations')).toBe(true);
  });

  it('resumes after Last-Event-ID with everything missed, in order, then live, without duplicates', async () => {
    const first = open(app);
    await new Promise((r) => setTimeout(r, 300));
    await app.post('/events', statement('qatar', 'negotiations', 'supports'));
    await until(() => first.frames.some((f) => f.event === 'appended'));
    await first.close();
    const lastId = first.frames.filter((f) => f.event === 'appended').at(-1)!.id!;

    const missed = [];
    for (let i = 0; i < 5; i++) missed.push((await app.post('/events', statement('egypt', 'humanitarian-aid', i % 2 ? 'supports' : 'demands'))).body.id);
    const second = open(app, '', lastId);
    await until(() => second.frames.filter((f) => f.event === 'appended').length >= 5);
    const live = (await app.post('/events', statement('us', 'negotiations', 'supports'))).body.id;
    await until(() => second.frames.filter((f) => f.event === 'appended').length >= 6);
    await new Promise((r) => setTimeout(r, 300));
    await second.close();
    const ids = second.frames.filter((f) => f.event === 'appended').map((f) => f.data.id);
    expect(ids).toEqual([...missed, live]);
  });

  it('refuses a malformed Last-Event-ID', async () => {
    const reply = await app.request('GET', '/stream', undefined, { key: null, headers: { 'last-event-id': 'yesterday' } });
    expect(reply.status).toBe(400);
  });
});
