// The store against a real PostgreSQL: append-only by trigger, and a follower that never skips
// an event whose transaction commits out of order.
import { freshStore, newEvent } from '../../test/support/store-fixture.js';

describe('the event store', () => {
  const fresh = freshStore();

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    await fresh.store.append([newEvent(0)]);
    await expect(fresh.db.query(`UPDATE events SET type = 'Forged'`)).rejects.toThrow(/append-only/);
    await expect(fresh.db.query(`DELETE FROM events`)).rejects.toThrow(/append-only/);
    await expect(fresh.db.query(`TRUNCATE events`)).rejects.toThrow(/append-only/);
    expect(await fresh.store.count()).toBe(1);
  });

  it('a follower sees every event exactly once, in order, while 8 writers hold their transactions open at random', async () => {
    const writers = 8;
    const perWriter = 25;
    const start = await fresh.store.headPosition(); // everything before this test has committed
    const seen: number[] = [];
    const seenIds: string[] = [];
    const expected = writers * perWriter;

    const deadline = Date.now() + 30_000;
    const follower = (async () => {
      let checkpoint = start;
      for (;;) {
        const page = await fresh.store.read({ after: checkpoint, limit: 7 });
        for (const e of page) {
          seen.push(e.position);
          seenIds.push(e.id);
        }
        if (page.length) checkpoint = page[page.length - 1].position;
        // Transactions anywhere in the cluster hold the fence back, so wait rather than stop early.
        else if (seenIds.length >= expected || Date.now() > deadline) break;
        else await new Promise((r) => setTimeout(r, 2));
      }
    })();

    const written: string[] = [];
    await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        (async () => {
          for (let i = 0; i < perWriter; i++) {
            const event = newEvent(w * 1000 + i);
            // The sequence-like position is taken now; the commit comes after a random delay.
            await fresh.db.transaction(async (m) => {
              await fresh.store.appendWithin(m, [event]);
              await m.query('SELECT pg_sleep($1)', [Math.random() * 0.03]);
            });
            written.push(event.id);
          }
        })(),
      ),
    );
    await follower;

    expect(seenIds).toHaveLength(writers * perWriter);
    expect(new Set(seenIds)).toEqual(new Set(written));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
  });
});
