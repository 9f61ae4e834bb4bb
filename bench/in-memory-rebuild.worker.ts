// A rebuild into memory, in a worker thread (started by long-history.ts): the log read in pages
// as the projector reads it, the next page fetched while this one folds, corrections' targets
// fetched per page, every projection folded into maps; nothing is written. In its own thread so
// that what one generation of in-memory read models costs in RSS can be read apart, and so that
// ending the thread frees that generation whole, as a design keeping read models in memory
// could do after a rebuild (bench/README.md weighs it).
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { ENVELOPE_COLUMNS, envelopeFromRow, type EventRow } from '../src/event-store/event-store.js';
import { PROJECTIONS } from '../src/projections/all-projections.js';
import { toNewsEvent } from '../src/catalogue/stored-event.js';
import { withTargets } from '../src/projections/projector/news-events.js';

export interface InMemoryRebuild {
  seconds: number;
  documents: number;
  /** The heap the documents keep after a full collection. */
  heldMiB: number;
}

const db = new pg.Pool({ connectionString: (workerData as { url: string }).url, max: 2 });
const page = (after: number) => db.query<EventRow>(`SELECT ${ENVELOPE_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT 2500`, [after]).then((r) => r.rows.map(envelopeFromRow));
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => (gc(), process.memoryUsage().heapUsed);

const heapBefore = heapAfterGc();
const docs = PROJECTIONS.map(() => new Map<string, unknown>());
const started = performance.now();
let next = page(0);
for (;;) {
  const events = await next;
  if (events.length === 0) break;
  next = page(events[events.length - 1].position);
  const byId = await withTargets(events, (ids) => db.query<EventRow>(`SELECT ${ENVELOPE_COLUMNS} FROM events WHERE id = ANY($1::uuid[])`, [ids]).then((r) => r.rows.map(envelopeFromRow)));
  for (const e of events) {
    const news = toNewsEvent(e, (id) => byId.get(id));
    PROJECTIONS.forEach((projection, i) => {
      for (const [key, doc] of projection.evolve(docs[i], news)) docs[i].set(key, doc);
    });
  }
}
const seconds = (performance.now() - started) / 1000;
await db.end();
const result: InMemoryRebuild = { seconds, documents: docs.reduce((n, d) => n + d.size, 0), heldMiB: (heapAfterGc() - heapBefore) / 2 ** 20 };
parentPort!.postMessage(result);
// The documents stay reachable until the thread is ended: they are the generation it holds.
parentPort!.on('message', () => docs.length);
