// The raw limit every append figure is measured against, and the same-shaped events for both.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { NewStoredEvent } from '../src/event-store/event-store.js';

export function event(n: number): NewStoredEvent {
  return {
    id: randomUUID(),
    type: 'StatementIssued',
    occurredAt: new Date(Date.UTC(2023, 11, 19)),
    occurredIsDay: true,
    occurredText: null,
    occurredFrom: null,
    reportedAt: new Date(),
    reportedIsDay: false,
    recordedBy: 'bench',
    data: { actor: 'hamas', stances: [{ issue: 'negotiations', stance: 'conditional' }], summary: `Statement ${n} about the talks.` },
    sources: [{ outlet: 'Reuters', attribution: 'named' }],
    metadata: { actors: ['hamas'], issues: ['negotiations'] },
    fingerprint: `f${n}`,
  };
}

/** Runs `clients` loops of `work` for `seconds`; returns how many events they completed. */
export async function drive(clients: number, perCall: number, work: (n: number) => Promise<unknown>, seconds: number): Promise<number> {
  let n = 0;
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        await work(n++);
        done += perCall;
      }
    }),
  );
  return done;
}

export const RAW_TABLE = `
  CREATE TABLE raw_events (
    position bigserial PRIMARY KEY, id uuid NOT NULL UNIQUE, type text NOT NULL,
    occurred_at timestamptz NOT NULL, reported_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
    recorded_by text NOT NULL, data jsonb NOT NULL, sources jsonb NOT NULL, metadata jsonb NOT NULL)`;
const RAW_INSERT = `INSERT INTO raw_events (id, type, occurred_at, reported_at, recorded_by, data, sources, metadata) VALUES `;
const row = (k: number) => `($${k + 1}, $${k + 2}, $${k + 3}, $${k + 4}, $${k + 5}, $${k + 6}, $${k + 7}, $${k + 8})`;
const values = (e: NewStoredEvent) => [e.id, e.type, e.occurredAt, e.reportedAt, e.recordedBy, JSON.stringify(e.data), JSON.stringify(e.sources), JSON.stringify(e.metadata)];

/** The limit: a plain multi-row INSERT into an append-only table like the store's. */
export const rawInsert = (pool: pg.Pool, batch: NewStoredEvent[]) => pool.query(RAW_INSERT + batch.map((_, i) => row(i * 8)).join(', '), batch.flatMap(values));

