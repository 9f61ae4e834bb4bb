// The event store (owns: the append-only `events` table, appending with expectedVersion and
// idempotency, reading pages, following the log). It knows nothing of news.
//
// Ordering without skipping. A sequence value is taken at INSERT but becomes visible at COMMIT,
// so a reader doing `position > checkpoint` can pass an event whose transaction commits late.
// We close that gap with a transaction-id fence, not by serialising appends (which would cost
// the group commit that concurrent writers get): each row's position is derived from its
// writing transaction's id, `pg_current_xact_id() * 10000 + ordinal in the transaction`, and
// readers only read rows whose transaction is older than `pg_snapshot_xmin(pg_current_snapshot())`.
// Every transaction below that fence has finished and no new one can get an id below it, so the
// set a reader sees is final and its position order is the order readers see commits in. Numbers
// are skipped (the contract allows it); a batch may hold up to 10 000 events.
//
// Conflicts are enforced by PostgreSQL inside the one INSERT statement: `ON CONFLICT (id)` for
// idempotency, the UNIQUE `expected_version` column plus a `max(position)` guard for optimistic
// concurrency (of two concurrent appends with the same expectedVersion the second waits on the
// unique index and then fails).
//
// Group commit. Concurrent single appends without expectedVersion go through an AppendQueue
// (append-queue.ts): under load they are inserted as one statement, one transaction, so their
// positions share a transaction id and differ by ordinal, and the fence above holds for them as
// for any batch. Each caller still gets its own outcome; if the grouped statement fails, every
// event is appended again on its own, so one bad event never fails or drops the others.
import type { DataSource, EntityManager } from 'typeorm';
import { AppendQueue } from './append-queue.js';

export interface NewStoredEvent {
  id: string;
  type: string;
  occurredAt: Date;
  occurredIsDay: boolean;
  /**
   * An uncertain occurrence as sent (`2025-03-01/2025-03-05`, `../2025-02-28`), with the start of
   * an interval; `occurredAt` is then its end, which orders it. Null for a plain instant.
   */
  occurredText: string | null;
  occurredFrom: Date | null;
  reportedAt: Date;
  reportedIsDay: boolean;
  recordedBy: string;
  data: unknown;
  sources: unknown[];
  metadata: Record<string, unknown>;
  /** Hash of what the client sent: the same id with another fingerprint is a conflict. */
  fingerprint: string;
}

export interface StoredEvent extends Omit<NewStoredEvent, 'fingerprint'> {
  position: number;
  recordedAt: Date;
  fingerprint: string;
}

/**
 * A stored event without its metadata and fingerprint: what the projector needs. Reading the log
 * without them took a third less of the client's CPU (100 000 events: 0.75 s against 1.0 s),
 * parsing the metadata's JSON being most of it.
 */
export type StoredEnvelope = Omit<StoredEvent, 'metadata' | 'fingerprint'>;

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

/** The event store reads go through (a hot standby's, with READ_DATABASE_URL): never appended to. */
export const READ_EVENT_STORE = Symbol('READ_EVENT_STORE');

export const MAX_EVENTS_PER_APPEND = 10_000;
const UNIQUE_VIOLATION = '23505';

/**
 * Clocks travel as epoch milliseconds (float8, rounded on arrival), not as timestamps: `pg`
 * parses a timestamp's text with a regular expression, which made reading the log a quarter
 * slower (100 000 events: 1.2 s of the client's CPU against 1.6 s).
 */
const epochMs = (column: string) => `date_part('epoch', ${column}) * 1000 AS ${column}`;
export const ENVELOPE_COLUMNS = `position, id, type, ${epochMs('occurred_at')}, occurred_is_day, occurred_text, ${epochMs('occurred_from')}, ${epochMs('reported_at')}, reported_is_day, ${epochMs('recorded_at')}, recorded_by, data, sources`;
const EVENT_COLUMNS = `${ENVELOPE_COLUMNS}, metadata, fingerprint`;

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

/** Only transactions that have finished and can never be joined by an older one. */
const FENCE = `tx < pg_snapshot_xmin(pg_current_snapshot())`;

export interface ReadFilter {
  after?: number;
  limit?: number;
  types?: string[];
  /** Rows whose metadata contains this JSON (e.g. `{ actors: ['hamas'] }`). */
  metadataContains?: Record<string, unknown>;
  /**
   * Stop before the page's data and sources pass this many bytes (as JSON text), though the
   * first row always comes: large events make shorter pages rather than unbounded ones.
   */
  maxBytes?: number;
}

/** The part of a pg pool the hot path uses directly: TypeORM's query runner costs a round of bookkeeping per call. */
interface Pool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: InsertedRow[] }>;
}

type InsertedRow = Pick<EventRow, 'position' | 'id' | 'recorded_at'>;

export class EventStore {
  private readonly pool: Pool;
  private readonly queue = new AppendQueue<NewStoredEvent, AppendOutcome>((events) => this.appendGroup(events), GROUP_IN_FLIGHT, MAX_GROUP);

  constructor(private readonly db: DataSource) {
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
        throw new WrongExpectedVersion(expectedVersion, await this.headPosition(m));
      }
      throw error;
    }
    const inserted = rowsById(rows);
    if (rows.length === events.length) return appended(events, inserted);

    const missing = events.filter((e) => !inserted.has(key(e.id)));
    const existing = await this.getByIds(missing.map((e) => e.id), m);
    const byId = new Map(existing.map((e) => [key(e.id), e]));
    if (existing.length < missing.length) {
      // Some ids are new yet nothing was inserted: the expectedVersion guard refused the batch.
      throw new WrongExpectedVersion(expectedVersion ?? 0, await this.headPosition(m));
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
    const existing = missing.length === 0 ? undefined : this.getByIds(missing.map((e) => e.id)).then((found) => new Map(found.map((s) => [key(s.id), s])));
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

  /** The highest committed position (0 for an empty log): what expectedVersion is compared with. */
  async headPosition(m: EntityManager = this.db.manager): Promise<number> {
    const [row] = await m.query(`SELECT coalesce(max(position), 0) AS head FROM events`);
    return Number(row.head);
  }

  /** The highest position a follower can safely have read up to right now. */
  async fencedHeadPosition(m: EntityManager = this.db.manager): Promise<number> {
    const [row] = await m.query(`SELECT coalesce(max(position), 0) AS head FROM events WHERE ${FENCE}`);
    return Number(row.head);
  }

  /**
   * Waits until everything committed before the call is past the fence, for at most `withinMs`.
   * The fence also hides a committed event while any older transaction (another append, a
   * projector write) is still open, for a few milliseconds; a client that reads the log right
   * after its own 201 expects to find its event. A transaction left open longer only delays
   * the read, which then answers what the fence allows.
   */
  async awaitFence(withinMs = 500): Promise<void> {
    const until = Date.now() + withinMs;
    const head = await this.headPosition();
    while ((await this.fencedHeadPosition()) < head && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  /** A page of the log in position order, never past the transaction fence (see header). */
  async read(filter: ReadFilter = {}, m: EntityManager = this.db.manager): Promise<StoredEvent[]> {
    return (await this.page(EVENT_COLUMNS, filter, m)).map(fromRow);
  }

  /** `read` without metadata and fingerprints (see StoredEnvelope). */
  async readEnvelopes(filter: ReadFilter = {}): Promise<StoredEnvelope[]> {
    return (await this.page(ENVELOPE_COLUMNS, filter, this.db.manager)).map(envelopeFromRow);
  }

  private page(columns: string, filter: ReadFilter, m: EntityManager): Promise<EventRow[]> {
    const params: unknown[] = [filter.after ?? 0, Math.min(filter.limit ?? 100, MAX_EVENTS_PER_APPEND)];
    let where = `position > $1 AND ${FENCE}`;
    if (filter.types?.length) {
      params.push(filter.types);
      where += ` AND type = ANY($${params.length})`;
    }
    if (filter.metadataContains) {
      params.push(JSON.stringify(filter.metadataContains));
      where += ` AND metadata @> $${params.length}::jsonb`;
    }
    if (filter.maxBytes === undefined) return m.query(`SELECT ${columns} FROM events WHERE ${where} ORDER BY position LIMIT $2`, params);
    params.push(filter.maxBytes);
    // The running size is taken over positions only (a narrow first pass), so the rows cut off
    // are never read whole, let alone sent.
    return m.query(
      `WITH sized AS (
         SELECT position, sum(octet_length(data::text) + octet_length(sources::text)) OVER (ORDER BY position) AS upto,
                octet_length(data::text) + octet_length(sources::text) AS own
           FROM events WHERE ${where} ORDER BY position LIMIT $2)
       SELECT ${columns} FROM events WHERE position IN (SELECT position FROM sized WHERE upto - own = 0 OR upto <= $${params.length}) ORDER BY position`,
      params,
    );
  }

  async getByIds(ids: string[], m: EntityManager = this.db.manager): Promise<StoredEvent[]> {
    return (await this.rowsByIds(EVENT_COLUMNS, ids, m)).map(fromRow);
  }

  /** `getByIds` without metadata and fingerprints (see StoredEnvelope). */
  async getEnvelopesByIds(ids: string[]): Promise<StoredEnvelope[]> {
    return (await this.rowsByIds(ENVELOPE_COLUMNS, ids, this.db.manager)).map(envelopeFromRow);
  }

  private async rowsByIds(columns: string, ids: string[], m: EntityManager): Promise<EventRow[]> {
    if (ids.length === 0) return [];
    return m.query(`SELECT ${columns} FROM events WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * The corrections about any of `ids` (SourceAdded, ReportRetracted, ReportDisputed, by their
   * `eventId`) up to position `upTo`, in log order: each type through its own partial index.
   */
  async correctionsOf(ids: string[], upTo: number): Promise<StoredEnvelope[]> {
    if (ids.length === 0) return [];
    const rows: EventRow[] = await this.db.query(
      `SELECT ${ENVELOPE_COLUMNS} FROM events WHERE type IN ('SourceAdded', 'ReportRetracted') AND data->>'eventId' = ANY($1) AND position <= $2
       UNION ALL
       SELECT ${ENVELOPE_COLUMNS} FROM events WHERE type = 'ReportDisputed' AND data->>'eventId' = ANY($1) AND position <= $2
       ORDER BY position`,
      [ids, upTo],
    );
    return rows.map(envelopeFromRow);
  }

  /** Every version (ProposalMade) of the proposals named, up to position `upTo`, in log order. */
  async proposalVersions(proposalIds: string[], upTo: number): Promise<StoredEnvelope[]> {
    if (proposalIds.length === 0) return [];
    const rows: EventRow[] = await this.db.query(
      `SELECT ${ENVELOPE_COLUMNS} FROM events WHERE type = 'ProposalMade' AND data->>'proposalId' = ANY($1) AND position <= $2 ORDER BY position`,
      [proposalIds, upTo],
    );
    return rows.map(envelopeFromRow);
  }

  /** Events that point at any of `ids` through `data->>field` (e.g. corroborations of an event). */
  async findReferencing(types: string[], field: string, ids: string[], m: EntityManager = this.db.manager): Promise<StoredEvent[]> {
    if (ids.length === 0) return [];
    const rows: EventRow[] = await m.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE type = ANY($1) AND data->>$2 = ANY($3) ORDER BY position`,
      [types, field, ids],
    );
    return rows.map(fromRow);
  }

  /** Which of `values` some event of `type` carries in `data->>field` (visible now, not fenced). */
  async existingValues(type: string, field: string, values: string[], m: EntityManager = this.db.manager): Promise<Set<string>> {
    if (values.length === 0) return new Set();
    const rows: { v: string }[] = await m.query(`SELECT DISTINCT data->>$2 AS v FROM events WHERE type = $1 AND data->>$2 = ANY($3)`, [type, field, values]);
    return new Set(rows.map((r) => r.v));
  }

  async count(m: EntityManager = this.db.manager): Promise<number> {
    const [row] = await m.query(`SELECT count(*) AS n FROM events`);
    return Number(row.n);
  }
}

/** A row of `events` as `pg` returns it. */
export interface EventRow {
  position: string;
  id: string;
  type: string;
  /** Epoch ms (see EVENT_COLUMNS), as text. */
  occurred_at: string;
  occurred_is_day: boolean;
  occurred_text: string | null;
  occurred_from: string | null;
  reported_at: string;
  reported_is_day: boolean;
  recorded_at: string;
  recorded_by: string;
  data: unknown;
  sources: unknown[];
  metadata: Record<string, unknown>;
  fingerprint: string;
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

/** An epoch-ms column back to a Date (float8 carries a millisecond as .999… at times: rounded). */
const instant = (ms: string) => new Date(Math.round(Number(ms)));

function fromRow(r: EventRow): StoredEvent {
  return Object.assign(envelopeFromRow(r), { metadata: r.metadata, fingerprint: r.fingerprint });
}

/** A row of ENVELOPE_COLUMNS (or more) as the event it holds. */
export function envelopeFromRow(r: EventRow): StoredEnvelope {
  return {
    position: Number(r.position),
    id: r.id,
    type: r.type,
    occurredAt: instant(r.occurred_at),
    occurredIsDay: r.occurred_is_day,
    occurredText: r.occurred_text,
    occurredFrom: r.occurred_from === null ? null : instant(r.occurred_from),
    reportedAt: instant(r.reported_at),
    reportedIsDay: r.reported_is_day,
    recordedAt: instant(r.recorded_at),
    recordedBy: r.recorded_by,
    data: r.data,
    sources: r.sources,
  };
}
