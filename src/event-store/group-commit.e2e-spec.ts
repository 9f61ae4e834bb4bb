// Group commit against a real PostgreSQL: concurrent single appends share statements, yet each
// caller gets its own answer (appended, retry, conflict, failure) and nothing is lost or doubled.
import { randomUUID } from 'node:crypto';
import { freshStore, newEvent, readPastFence } from '../../test/support/store-fixture.js';
import { IdempotencyConflict } from './event-store.js';

describe('group commit of single appends', () => {
  const fresh = freshStore();

  it('stores 300 concurrent appends once each, in shared transactions, readable in order past the fence', async () => {
    const start = await fresh.store.headPosition();
    const events = Array.from({ length: 300 }, (_, n) => newEvent(n));
    const outcomes = await Promise.all(events.map((e) => fresh.store.append([e])));

    expect(outcomes.every((o) => o.kind === 'appended')).toBe(true);
    outcomes.forEach((o, i) => expect(o.events[0]).toMatchObject({ id: events[i].id, data: { n: i } }));
    expect(new Set(outcomes.map((o) => o.events[0].position)).size).toBe(300);

    const [{ rows, txs }] = await fresh.db.query(`SELECT count(*)::int AS rows, count(DISTINCT tx)::int AS txs FROM events WHERE position > $1`, [start]);
    expect(rows).toBe(300);
    expect(txs).toBeLessThan(300); // grouped, not one statement each

    const read = await readPastFence(fresh.store, start, 300);
    expect(read.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(read.map((e) => e.position)).toEqual(outcomes.map((o) => o.events[0].position).sort((a, b) => a - b));
  });

  it('answers each caller in a group: new, retry, conflict, and one id sent twice at once', async () => {
    const stored = newEvent(1000);
    await fresh.store.append([stored]);
    const twin = randomUUID();
    const newOnes = Array.from({ length: 40 }, (_, n) => newEvent(2000 + n));
    const calls = [
      ...newOnes.map((e) => fresh.store.append([e])),
      fresh.store.append([{ ...stored }]), // the same body again: a retry
      fresh.store.append([{ ...newEvent(1001, stored.id) }]), // the same id, another body: a conflict
      fresh.store.append([newEvent(3000, twin)]),
      fresh.store.append([newEvent(3000, twin)]), // the same id and body twice at once: one stores, one is a retry
      fresh.store.append([newEvent(3001, twin.toUpperCase())]), // and a third, in other case, with another body
    ];
    const results = await Promise.allSettled(calls);
    const [retry, conflict, twinA, twinB, twinUpper] = results.slice(newOnes.length);

    results.slice(0, newOnes.length).forEach((r, i) => expect(r).toMatchObject({ status: 'fulfilled', value: { kind: 'appended', events: [{ id: newOnes[i].id }] } }));
    expect(retry).toMatchObject({ status: 'fulfilled', value: { kind: 'duplicate', events: [{ id: stored.id, fingerprint: stored.fingerprint }] } });
    expect(conflict).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyConflict) });
    expect([twinA, twinB].map((r) => (r.status === 'fulfilled' ? r.value.kind : 'rejected')).sort()).toEqual(['appended', 'duplicate']);
    expect(twinUpper).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyConflict) });

    const ids = [...newOnes.map((e) => e.id), stored.id, twin];
    const [{ n }] = await fresh.db.query(`SELECT count(*)::int AS n FROM events WHERE id = ANY($1::uuid[])`, [ids]);
    expect(n).toBe(ids.length);
  });

  it('a statement the database refuses for one event fails that caller alone', async () => {
    const good = Array.from({ length: 30 }, (_, n) => newEvent(4000 + n));
    const bad = { ...newEvent(5000), data: { text: 'nul \u0000 is no valid jsonb' } };
    const calls = [...good.slice(0, 15), bad, ...good.slice(15)].map((e) => fresh.store.append([e]));
    const results = await Promise.allSettled(calls);

    expect(results[15].status).toBe('rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(30);
    const found = await fresh.store.getByIds([...good, bad].map((e) => e.id));
    expect(found.map((e) => e.id).sort()).toEqual(good.map((e) => e.id).sort());
  });
});
