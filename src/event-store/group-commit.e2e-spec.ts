// Group commit against a real PostgreSQL: concurrent single appends share statements, yet each
// caller gets its own answer (appended, retry, conflict, failure) and nothing is lost or doubled.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { freshDatabase } from '../../test/support/test-server.js';
import { createDataSource } from '../database/database.js';
import { EventStore, IdempotencyConflict, type NewStoredEvent } from './event-store.js';

function newEvent(n: number, id: string = randomUUID()): NewStoredEvent {
  return {
    id,
    type: 'Tested',
    occurredAt: new Date(Date.UTC(2023, 11, 19)),
    occurredIsDay: true,
    reportedAt: new Date(),
    reportedIsDay: false,
    recordedBy: 'test',
    data: { n },
    sources: [],
    metadata: {},
    fingerprint: `f${n}`,
  };
}

describe('group commit of single appends', () => {
  let db: DataSource;
  let store: EventStore;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    db = createDataSource(fresh.url, 12);
    await db.initialize();
    store = new EventStore(db);
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  it('stores 300 concurrent appends once each, in shared transactions, readable in order past the fence', async () => {
    const start = await store.headPosition();
    const events = Array.from({ length: 300 }, (_, n) => newEvent(n));
    const outcomes = await Promise.all(events.map((e) => store.append([e])));

    expect(outcomes.every((o) => o.kind === 'appended')).toBe(true);
    outcomes.forEach((o, i) => expect(o.events[0]).toMatchObject({ id: events[i].id, data: { n: i } }));
    expect(new Set(outcomes.map((o) => o.events[0].position)).size).toBe(300);

    const [{ rows, txs }] = await db.query(`SELECT count(*)::int AS rows, count(DISTINCT tx)::int AS txs FROM events WHERE position > $1`, [start]);
    expect(rows).toBe(300);
    expect(txs).toBeLessThan(300); // grouped, not one statement each

    const read = await store.read({ after: start, limit: 1000 });
    expect(read.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(read.map((e) => e.position)).toEqual(outcomes.map((o) => o.events[0].position).sort((a, b) => a - b));
  });

  it('answers each caller in a group: new, retry, conflict, and one id sent twice at once', async () => {
    const stored = newEvent(1000);
    await store.append([stored]);
    const twin = randomUUID();
    const fresh = Array.from({ length: 40 }, (_, n) => newEvent(2000 + n));
    const calls = [
      ...fresh.map((e) => store.append([e])),
      store.append([{ ...stored }]), // the same body again: a retry
      store.append([{ ...newEvent(1001, stored.id) }]), // the same id, another body: a conflict
      store.append([newEvent(3000, twin)]),
      store.append([newEvent(3000, twin)]), // the same id and body twice at once: one stores, one is a retry
      store.append([newEvent(3001, twin.toUpperCase())]), // and a third, in other case, with another body
    ];
    const results = await Promise.allSettled(calls);
    const [retry, conflict, twinA, twinB, twinUpper] = results.slice(fresh.length);

    results.slice(0, fresh.length).forEach((r, i) => expect(r).toMatchObject({ status: 'fulfilled', value: { kind: 'appended', events: [{ id: fresh[i].id }] } }));
    expect(retry).toMatchObject({ status: 'fulfilled', value: { kind: 'duplicate', events: [{ id: stored.id, fingerprint: stored.fingerprint }] } });
    expect(conflict).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyConflict) });
    expect([twinA, twinB].map((r) => (r.status === 'fulfilled' ? r.value.kind : 'rejected')).sort()).toEqual(['appended', 'duplicate']);
    expect(twinUpper).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyConflict) });

    const ids = [...fresh.map((e) => e.id), stored.id, twin];
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM events WHERE id = ANY($1::uuid[])`, [ids]);
    expect(n).toBe(ids.length);
  });

  it('a statement the database refuses for one event fails that caller alone', async () => {
    const good = Array.from({ length: 30 }, (_, n) => newEvent(4000 + n));
    const bad = { ...newEvent(5000), data: { text: 'nul \u0000 is no valid jsonb' } };
    const calls = [...good.slice(0, 15), bad, ...good.slice(15)].map((e) => store.append([e]));
    const results = await Promise.allSettled(calls);

    expect(results[15].status).toBe('rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(30);
    const found = await store.getByIds([...good, bad].map((e) => e.id));
    expect(found.map((e) => e.id).sort()).toEqual(good.map((e) => e.id).sort());
  });
});
