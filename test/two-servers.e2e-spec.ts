// Several servers on one database: both take writes and reads, one runs the projector, and when
// it is killed the other takes over, with nothing lost — for readers and for stream clients.
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startChildServer, type ChildServer } from './support/child-server.js';
import { statement } from './support/envelopes.js';
import { openStream } from './support/sse.js';
import { EDITOR_KEY, freshDatabase } from './support/test-server.js';
import { until } from './support/until.js';

const json = async (url: string, init?: RequestInit): Promise<any> => (await fetch(url, init)).json();
const post = (url: string, body: unknown) => fetch(`${url}/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${EDITOR_KEY}` }, body: JSON.stringify(body) });

/** The ids of the events a stream client receives, from the start of the log. */
function follow(url: string) {
  const stream = openStream(`${url}/stream?after=0`);
  return {
    get ids(): string[] {
      return stream.frames.filter((f) => f.event === 'appended').map((f) => f.data.id);
    },
    close: stream.close,
  };
}

describe('two servers on one database', () => {
  let db: { url: string; drop(): Promise<void> };
  const servers: ChildServer[] = [];
  const dataDir = path.join(os.tmpdir(), `standpoint-two-${process.pid}`);

  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    for (const s of servers) await s.kill('SIGKILL');
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('write through one, read and stream from the other; SIGKILL the projector holder; the other takes over and nothing is lost', async () => {
    const env = { DATABASE_URL: db.url, DATA_DIR: dataDir, API_KEYS: `editor:editor:${EDITOR_KEY}` };
    const a = await startChildServer(env);
    servers.push(a);
    await until('a to hold the projector', async () => ((await json(`${a.url}/health`)).projector.leader ? true : undefined));
    const b = await startChildServer(env);
    servers.push(b);
    expect((await json(`${b.url}/health`)).projector.leader).toBe(false);

    const stream = follow(b.url);
    const written: string[] = [];
    for (let i = 0; i < 20; i++) written.push((await ((await post(a.url, statement('hamas', 'negotiations', i % 2 ? 'opposes' : 'conditional'))).json() as Promise<any>)).id);
    await until('b to see a’s writes', async () => ((await json(`${b.url}/positions/hamas`)).stances.negotiations?.summary === 'hamas opposes negotiations' ? true : undefined));

    await a.kill('SIGKILL');
    const tookOver = Date.now();
    await until('b to take the projector over', async () => ((await json(`${b.url}/health`)).projector.leader ? true : undefined));
    expect(Date.now() - tookOver).toBeLessThan(10_000);
    for (let i = 0; i < 10; i++) written.push((await ((await post(b.url, statement('qatar', 'hostage-exchange', 'supports'))).json() as Promise<any>)).id);

    await until('b’s read models to hold everything', async () => {
      const health = await json(`${b.url}/health`);
      return health.projector.checkpoint >= health.projector.head && (await json(`${b.url}/positions/qatar`)).stances['hostage-exchange'] ? true : undefined;
    });
    const events = await json(`${b.url}/events?limit=1000`);
    expect(events.events.map((e: { id: string }) => e.id)).toEqual(written);
    await until('the stream on b to have every event', async () => (stream.ids.length >= written.length ? true : undefined));
    await stream.close();
    expect(stream.ids).toEqual(written);
  }, 90_000);
});
