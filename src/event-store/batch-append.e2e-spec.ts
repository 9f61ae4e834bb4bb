// Batches against a real PostgreSQL: one statement stores a new batch whole; whatever it cannot
// store alone (an id already there, a stale expectedVersion, a race) still gets the answer the
// transaction gives, and never part of a batch.
import { randomUUID } from 'node:crypto';
import { freshStore, newEvent, readPastFence } from '../../test/support/store-fixture.js';
import { IdempotencyConflict, WrongExpectedVersion } from './event-store.js';

describe('appending batches', () => {
  const fresh = freshStore();
  const count = async () => Number((await fresh.db.query(`SELECT count(*) AS n FROM events`))[0].n);

  it('given an empty log, a new batch is stored whole in one transaction, in order', async () => {
    const batch = Array.from({ length: 50 }, (_, n) => newEvent(n));
    const outcome = await fresh.store.append(batch);

    expect(outcome.kind).toBe('appended');
    expect(outcome.events.map((e) => e.id)).toEqual(batch.map((e) => e.id));
    const positions = outcome.events.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const [{ txs }] = await fresh.db.query(`SELECT count(DISTINCT tx)::int AS txs FROM events WHERE id = ANY($1)`, [batch.map((e) => e.id)]);
    expect(txs).toBe(1);
  });

  it('given a stored event, when a batch repeats it unchanged with a new one, then a conflict and the new one is not stored', async () => {
    const [stored] = (await fresh.store.append([newEvent(100), newEvent(101)])).events;
    const before = await count();
    const fresh1 = newEvent(102);

    await expect(fresh.store.append([{ ...newEvent(100, stored.id), fingerprint: stored.fingerprint }, fresh1])).rejects.toBeInstanceOf(IdempotencyConflict);
    expect(await count()).toBe(before);
    expect(await fresh.store.getByIds([fresh1.id])).toEqual([]);
  });

  it('given a stored batch, when it is sent again, then a retry that stores nothing', async () => {
    const batch = [newEvent(200), newEvent(201)];
    const first = await fresh.store.append(batch);
    const before = await count();

    const again = await fresh.store.append(batch.map((e) => ({ ...e })));
    expect(again.kind).toBe('duplicate');
    expect(again.events.map((e) => e.position)).toEqual(first.events.map((e) => e.position));
    expect(await count()).toBe(before);
  });

  it('of 10 concurrent batches with the same expectedVersion, exactly one is stored, whole', async () => {
    const head = await fresh.store.headPosition();
    const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 5 }, (_, n) => newEvent(300 + b * 10 + n)));
    const outcomes = await Promise.allSettled(batches.map((batch) => fresh.store.append(batch, head)));

    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WrongExpectedVersion);
    expect(await readPastFence(fresh.store, head, 5)).toHaveLength(5);
  });

  it('of two identical batches sent at once, one is stored and the other is its retry', async () => {
    const batch = [newEvent(400, randomUUID()), newEvent(401, randomUUID())];
    const before = await count();
    const [a, b] = await Promise.all([fresh.store.append(batch), fresh.store.append(batch.map((e) => ({ ...e })))]);

    expect([a.kind, b.kind].sort()).toEqual(['appended', 'duplicate']);
    expect(a.events.map((e) => e.position)).toEqual(b.events.map((e) => e.position));
    expect(await count()).toBe(before + 2);
  });
});
