// Nothing lost, nothing duplicated: 16 clients append 10 000 events over HTTP, retrying some
// requests with the same id as a client does after a timeout.
import { randomUUID } from 'node:crypto';
import { statement } from './support/envelopes.js';
import { ADMIN_KEY, TestApp } from './support/test-server.js';

const CLIENTS = 16;
const EVENTS = Number(process.env.CONCURRENCY_EVENTS ?? 10_000);
const ACTORS = ['israel', 'hamas', 'egypt', 'qatar', 'us'];
const ISSUES = ['temporary-ceasefire', 'permanent-ceasefire', 'hostage-exchange', 'negotiations'];
const STANCES = ['supports', 'opposes', 'demands', 'conditional'];

describe(`${CLIENTS} concurrent clients appending ${EVENTS} events`, () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => app.stop());

  it('stores each exactly once, in strictly increasing positions, and the projections equal a fresh rebuild', async () => {
    let next = 0;
    let retries = 0;
    const acknowledged = new Set<string>();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < EVENTS) {
          const n = next++;
          const event = { ...statement(ACTORS[n % 5], ISSUES[n % 4], STANCES[(n * 7) % 4]), id: randomUUID(), occurredAt: new Date(Date.UTC(2023, 11, 1) + n * 60_000).toISOString() };
          const first = await app.post('/events', event);
          expect(first.status).toBe(201);
          // Every tenth request is sent again as if its answer had been lost.
          if (n % 10 === 0) {
            retries++;
            const again = await app.post('/events', event);
            expect(again.status).toBe(200);
            expect(again.body.position).toBe(first.body.position);
          }
          acknowledged.add(event.id);
        }
      }),
    );
    expect(acknowledged.size).toBe(EVENTS);
    expect(retries).toBe(Math.ceil(EVENTS / 10));

    const rows = await app.db.query('SELECT id, position FROM events ORDER BY position');
    expect(rows).toHaveLength(EVENTS);
    expect(new Set(rows.map((r: { id: string }) => r.id))).toEqual(acknowledged);
    const positions = rows.map((r: { position: string }) => Number(r.position));
    expect(positions.every((p: number, i: number) => i === 0 || p > positions[i - 1])).toBe(true);

    await app.settled(60_000);
    const read = () => Promise.all(['/positions', '/status', '/proposals'].map(async (r) => (await app.get(r)).body));
    const live = await read();
    expect((await app.post('/admin/projections/rebuild', {}, ADMIN_KEY)).status).toBe(202);
    await app.rebuilt(60_000);
    expect(await read()).toEqual(live);
  }, 180_000);
});
