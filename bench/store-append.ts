// The event store's append against its limit, measured in the same run: raw `pg` INSERTs into an
// equivalent append-only table. 1 client single events, 8 concurrent clients, batches of 100.
// Both sides run in turns (harness.ts, inTurns).
// npm run bench:store   (BENCH_SECONDS per case, default 5; BENCH_SCALE=smoke: 1)
import { createDataSource, migrate } from '../src/database/database.js';
import { EventStore } from '../src/event-store/event-store.js';
import { drive, event, RAW_TABLE, rawInsert } from './raw-limit.js';
import { freshDatabase, inTurns, postgresServer, rawPool, report, round, SECONDS } from './harness.js';

const pgServer = await postgresServer();
const database = await freshDatabase(pgServer.url);
const dataSource = createDataSource(database.url, 8);
await dataSource.initialize();
await migrate(dataSource);
const store = new EventStore(dataSource);
const raw = rawPool(database.url, 8);
await raw.query(RAW_TABLE);

try {
  const results: Record<string, { store: number; raw: number; ratio: number; target: string }> = {};
  const measure = async (name: string, clients: number, size: number) => {
    const batch = (n: number) => Array.from({ length: size }, (_, i) => event(n * size + i));
    const [rawRate, storeRate] = await inTurns([
      { run: (seconds) => drive(clients, size, (n) => rawInsert(raw, batch(n)), seconds) },
      { run: (seconds) => drive(clients, size, (n) => store.append(batch(n)), seconds) },
    ]);
    results[name] = { store: round(storeRate, 0), raw: round(rawRate, 0), ratio: round(storeRate / rawRate), target: '≥ 0.8×' };
  };
  await measure('1 client, single events', 1, 1);
  await measure('8 clients, single events', 8, 1);
  await measure('1 client, batches of 100', 1, 100);
  await report('store-append', { secondsPerCase: SECONDS, eventsPerSecond: results });
} finally {
  await raw.end();
  await dataSource.destroy();
  await database.drop();
  await pgServer.stop();
}
