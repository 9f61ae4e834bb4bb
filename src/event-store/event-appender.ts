// Appending to the log (owns: the INSERTs — a batch as one statement, a lone event as a prepared
// statement, concurrent lone events grouped — and telling an appended event from a retry or a
// conflict). Positions come from the writing transaction's id (see event-reader.ts).
//
// Conflicts are enforced by PostgreSQL inside the one INSERT statement: `ON CONFLICT (id)` for
// idempotency, the UNIQUE `expected_version` column plus a `max(position)` guard for optimistic
// concurrency (of two concurrent appends with the same expectedVersion the second waits on the
// unique index and then fails).
//
// Group commit. Concurrent single appends without expectedVersion go through an AppendQueue
// (append-queue.ts): under load they are inserted as one statement, one transaction, so their
// positions share a transaction id and differ by ordinal, and the reader's fence holds for them as
// for any batch. Each caller still gets its own outcome; if the grouped statement fails, every
// event is appended again on its own, so one bad event never fails or drops the others.
import type { DataSource, EntityManager } from 'typeorm';
import { AppendQueue } from './append-queue.js';
import type { EventReader } from './event-reader.js';
import { MAX_EVENTS_PER_APPEND, epochMs, instant, type EventRow, type NewStoredEvent, type StoredEvent } from './event-rows.js';

export type AppendOutcome = { kind: 'appended'; events: StoredEvent[] } | { kind: 'duplicate'; events: StoredEvent[] };

export class WrongExpectedVersion extends Error {
  constructor(readonly expected: number, readonly current: number) {
    super(`expectedVersion ${expected} does not match the log's current position ${current}`);
  }
}

export class IdempotencyConflict extends Error {
  constructor(readonly ids: string[]) {
    super(`an event with id ${ids.join(', ')} already exists with a different body`);
  }
}

const UNIQUE_VIOLATION = '23505';

/**
 * A batch as one statement. With `ON CONFLICT DO NOTHING` it skips ids already stored, for
 * `settle` to tell a retry from a conflict inside a transaction; without, an id already stored
 * fails the statement whole, so it stores all or nothing on its own.
 */
const appendSql = (skipStoredIds: boolean) => `
  INSERT INTO events (position, id, type, occurred_at, occurred_is_day, occurred_text, occurred_from, reported_at, reported_is_day, recorded_by, data, sources, metadata, fingerprint, expected_version)
  SELECT pg_current_xact_id()::text::bigint * 10000 + e.ord,
         (e.doc->>'id')::uuid, e.doc->>'type',
         (e.doc->>'occurredAt')::timestamptz, (e.doc->>'occurredIsDay')::boolean, e.doc->>'occurredText', (e.doc->>'occurredFrom')::timestamptz,
         (e.doc->>'reportedAt')::timestamptz, (e.doc->>'reportedIsDay')::boolean,
         e.doc->>'recordedBy', e.doc->'data', e.doc->'sources', e.doc->'metadata', e.doc->>'fingerprint',
         CASE WHEN e.ord = 1 THEN $2::bigint END
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(doc, ord)
  WHERE $2::bigint IS NULL OR (SELECT coalesce(max(position), 0) FROM events) = $2::bigint
  ORDER BY e.ord
  ${skipStoredIds ? 'ON CONFLICT (id) DO NOTHING' : ''}
  RETURNING position, id, ${epochMs('recorded_at')}`;
const APPEND_SQL = appendSql(true);
const APPEND_ALL_NEW_SQL = appendSql(false);

/** The same append for one event, with typed parameters, prepared once per connection. */
const APPEND_ONE_SQL = `
  INSERT INTO events (position, id, type, occurred_at, occurred_is_day, occurred_text, occurred_from, reported_at, reported_is_day, recorded_by, data, sources, metadata, fingerprint, expected_version)
  SELECT pg_current_xact_id()::text::bigint * 10000 + 1, $1::uuid, $2, $3::timestamptz, $4, $5, $6::timestamptz, $7::timestamptz, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13, $14::bigint
  WHERE $14::bigint IS NULL OR (SELECT coalesce(max(position), 0) FROM events) = $14::bigint
  ON CONFLICT (id) DO NOTHING
  RETURNING position, id, ${epochMs('recorded_at')}`;

/** Many single events in one statement, as typed arrays: one prepared statement whatever the count. */
const APPEND_GROUP_SQL = `
  INSERT INTO events (position, id, type, occurred_at, occurred_is_day, occurred_text, occurred_from, reported_at, reported_is_day, recorded_by, data, sources, metadata, fingerprint)
  SELECT pg_current_xact_id()::text::bigint * 10000 + e.ord, e.id, e.type, e.occurred_at, e.occurred_is_day, e.occurred_text, e.occurred_from, e.reported_at, e.reported_is_day, e.recorded_by, e.data, e.sources, e.metadata, e.fingerprint
  FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::boolean[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::boolean[], $9::text[], $10::jsonb[], $11::jsonb[], $12::jsonb[], $13::text[])
       WITH ORDINALITY AS e(id, type, occurred_at, occurred_is_day, occurred_text, occurred_from, reported_at, reported_is_day, recorded_by, data, sources, metadata, fingerprint, ord)
  ORDER BY e.ord
  ON CONFLICT (id) DO NOTHING
  RETURNING position, id, ${epochMs('recorded_at')}`;

/** Grouped statements in flight at once, and the most events one of them carries. */
const GROUP_IN_FLIGHT = 2;
const MAX_GROUP = 1000;

/** The part of a pg pool the hot path uses directly: TypeORM's query runner costs a round of bookkeeping per call. */
interface Pool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: InsertedRow[] }>;
}

type InsertedRow = Pick<EventRow, 'position' | 'id' | 'recorded_at'>;
export class EventAppender {
  private readonly pool: Pool;
  private readonly queue = new AppendQueue<NewStoredEvent, AppendOutcome>((events) => this.appendGroup(events), GROUP_IN_FLIGHT, MAX_GROUP);

  constructor(
    private readonly db: DataSource,
    private readonly reader: EventReader,
  ) {
    this.pool = (db.driver as unknown as { master: Pool }).master;
  }


  /**
   * Appends all events or none. A single event without expectedVersion joins the group commit;
   * with one, it is one round trip of its own; a batch is one statement that stores all or
   * nothing, and when it stores nothing, a transaction in which a conflicting duplicate rolls
   * the rest back.
   */
  async append(events: NewStoredEvent[], expectedVersion?: number): Promise<AppendOutcome> {
    if (events.length === 0 || events.length > MAX_EVENTS_PER_APPEND) throw new RangeError(`append takes 1..${MAX_EVENTS_PER_APPEND} events`);
    if (events.length === 1 && expectedVersion === undefined) return this.queue.append(events[0]);
    if (events.length === 1) return this.appendAlone(events[0], expectedVersion);
    // A batch is nearly always all new: one statement that stores it whole, a round trip instead
    // of three. Anything else (an id already stored, a log that moved past expectedVersion, a
    // race on either) takes the transaction, which tells a retry from a conflict.
    return (await this.appendAllNew(events, expectedVersion)) ?? this.db.transaction((manager) => this.appendWithin(manager, events, expectedVersion));
  }

  /** The batch stored whole, or undefined if the statement stored nothing (see appendSql). */
  private async appendAllNew(events: NewStoredEvent[], expectedVersion?: number): Promise<AppendOutcome | undefined> {
    let rows: InsertedRow[];
    try {
      rows = (await this.pool.query({ name: 'standpoint_append_all_new', text: APPEND_ALL_NEW_SQL, values: [JSON.stringify(events.map(toJson)), expectedVersion ?? null] })).rows;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return undefined;
      throw error;
    }
    if (rows.length !== events.length) return undefined; // the expectedVersion guard refused it
    return appended(events, rowsById(rows));
  }

  /** Appends inside the caller's transaction (one append per transaction: positions come from its id). */
  appendWithin(m: EntityManager, events: NewStoredEvent[], expectedVersion?: number): Promise<AppendOutcome> {
    return this.settle(m, events, expectedVersion, () => m.query(APPEND_SQL, [JSON.stringify(events.map(toJson)), expectedVersion ?? null]));
  }

  /** Runs the insert and sorts out what it means: appended, an idempotent retry, or a conflict. */
  private async settle(m: EntityManager, events: NewStoredEvent[], expectedVersion: number | undefined, insert: () => Promise<InsertedRow[]>): Promise<AppendOutcome> {
    let rows: InsertedRow[];
    try {
      rows = await insert();
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION && expectedVersion !== undefined) {
        throw new WrongExpectedVersion(expectedVersion, await this.reader.headPosition(m));
      }
      throw error;
    }
    const inserted = rowsById(rows);
    if (rows.length === events.length) return appended(events, inserted);

    const missing = events.filter((e) => !inserted.has(key(e.id)));
    const existing = await this.reader.getByIds(missing.map((e) => e.id), m);
    const byId = new Map(existing.map((e) => [key(e.id), e]));
    if (existing.length < missing.length) {
      // Some ids are new yet nothing was inserted: the expectedVersion guard refused the batch.
      throw new WrongExpectedVersion(expectedVersion ?? 0, await this.reader.headPosition(m));
    }
    const differing = missing.filter((e) => byId.get(key(e.id))!.fingerprint !== e.fingerprint).map((e) => e.id);
    if (differing.length > 0) throw new IdempotencyConflict(differing);
    if (rows.length > 0) throw new IdempotencyConflict(missing.map((e) => e.id)); // a batch half old, half new is not a retry
    return { kind: 'duplicate', events: events.map((e) => byId.get(key(e.id))!) };
  }

  /** One event in a statement of its own (through the pool directly, as a prepared statement). */
  private appendAlone(e: NewStoredEvent, expectedVersion?: number): Promise<AppendOutcome> {
    const values = [...columnValues(e), expectedVersion ?? null];
    return this.settle(this.db.manager, [e], expectedVersion, async () => (await this.pool.query({ name: 'standpoint_append_one', text: APPEND_ONE_SQL, values })).rows);
  }

  /**
   * A group from the queue: one statement, then each event's own outcome. An event whose id was
   * already stored is a retry or a conflict, judged against the stored row as for a lone append.
   */
  private async appendGroup(events: NewStoredEvent[]): Promise<PromiseSettledResult<AppendOutcome>[]> {
    if (events.length === 1) return Promise.allSettled([this.appendAlone(events[0])]);
    let rows: InsertedRow[];
    try {
      const values: unknown[][] = [];
      for (const e of events) columnValues(e).forEach((v, i) => (values[i] ??= []).push(v));
      rows = (await this.pool.query({ name: 'standpoint_append_group', text: APPEND_GROUP_SQL, values })).rows;
    } catch {
      // Nothing of the group was stored; each event alone gets the answer it would have had alone.
      return Promise.allSettled(events.map((e) => this.appendAlone(e)));
    }
    const byId = rowsById(rows);
    const missing = events.filter((e) => !byId.has(key(e.id)));
    // Read once for the whole group, awaited only by the callers it concerns: if it fails, it
    // fails them alone, not the events already stored.
    const existing = missing.length === 0 ? undefined : this.reader.getByIds(missing.map((e) => e.id)).then((found) => new Map(found.map((s) => [key(s.id), s])));
    return Promise.allSettled(
      events.map(async (e): Promise<AppendOutcome> => {
        const row = byId.get(key(e.id));
        if (row) return { kind: 'appended', events: [stored(e, row)] };
        const before = (await existing!).get(key(e.id));
        // ON CONFLICT waited for whoever held the id, so it is stored; should it not be, a lone
        // append gives the answer it would have had anyway.
        if (!before) return this.appendAlone(e);
        if (before.fingerprint !== e.fingerprint) throw new IdempotencyConflict([e.id]);
        return { kind: 'duplicate', events: [before] };
      }),
    );
  }
}

/** PostgreSQL hands uuids back in lower case, whatever case the client sent them in. */
const key = (id: string) => id.toLowerCase();

const rowsById = (rows: InsertedRow[]) => new Map(rows.map((r) => [key(r.id), r]));

/** Every event of the append stored, each with the row the insert returned for it. */
const appended = (events: NewStoredEvent[], inserted: Map<string, InsertedRow>): AppendOutcome => ({ kind: 'appended', events: events.map((e) => stored(e, inserted.get(key(e.id))!)) });

/** One event's values in the column order of APPEND_ONE_SQL and APPEND_GROUP_SQL. */
function columnValues(e: NewStoredEvent): unknown[] {
  return [e.id, e.type, e.occurredAt, e.occurredIsDay, e.occurredText, e.occurredFrom, e.reportedAt, e.reportedIsDay, e.recordedBy, JSON.stringify(e.data), JSON.stringify(e.sources), JSON.stringify(e.metadata), e.fingerprint];
}

/** What was sent plus what the server added: no need to read the payload back. */
function stored(e: NewStoredEvent, row: InsertedRow): StoredEvent {
  return { ...e, position: Number(row.position), recordedAt: instant(row.recorded_at) };
}

function toJson(e: NewStoredEvent) {
  return { ...e, occurredAt: e.occurredAt.toISOString(), occurredFrom: e.occurredFrom?.toISOString() ?? null, reportedAt: e.reportedAt.toISOString() };
}
