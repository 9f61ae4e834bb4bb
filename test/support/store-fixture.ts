// An EventStore on its own fresh database, and events to append to it, for the store's own specs.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../../src/database/database.js';
import { EventStore, type NewStoredEvent, type StoredEvent } from '../../src/event-store/event-store.js';
import { freshDatabase } from './test-server.js';

export function newEvent(n: number, id: string = randomUUID()): NewStoredEvent {
  return {
    id,
    type: 'Tested',
    occurredAt: new Date(Date.UTC(2023, 11, 19)),
    occurredIsDay: true,
    occurredText: null,
    occurredFrom: null,
    reportedAt: new Date(),
    reportedIsDay: false,
    recordedBy: 'test',
    data: { n },
    sources: [],
    metadata: {},
    fingerprint: `f${n}`,
  };
}

/** Registers the hooks that give a describe block its own store on a fresh database. */
export function freshStore(): { readonly db: DataSource; readonly store: EventStore } {
  let db: DataSource | undefined;
  let store: EventStore | undefined;
  let drop = async () => {};
  beforeAll(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    db = createDataSource(fresh.url, 12);
    await db.initialize();
    await migrate(db);
    store = new EventStore(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await drop();
  });
  return {
    get db() {
      if (!db) throw new Error('the store is set up in beforeAll');
      return db;
    },
    get store() {
      if (!store) throw new Error('the store is set up in beforeAll');
      return store;
    },
  };
}

/**
 * The log after `after` once the fence has let at least `count` events through. The fence
 * waits for every older transaction in the whole PostgreSQL cluster, so one held open by a spec
 * running beside this one (in another database) keeps fresh events hidden for a while.
 */
export async function readPastFence(store: EventStore, after: number, count: number, withinMs = 10_000): Promise<StoredEvent[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const read = await store.read({ after, limit: Math.max(1000, count) });
    if (read.length >= count || Date.now() > until) return read;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
