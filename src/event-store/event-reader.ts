// Reading the log (owns: pages in position order, never past the transaction fence; the head;
// events by id and by what they refer to).
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
import type { DataSource, EntityManager } from 'typeorm';
import { ENVELOPE_COLUMNS, EVENT_COLUMNS, MAX_EVENTS_PER_APPEND, envelopeFromRow, fromRow, type EventRow, type StoredEnvelope, type StoredEvent } from './event-rows.js';

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

export class EventReader {
  constructor(private readonly db: DataSource) {}

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
    // `upTo` is applied here, not in SQL: as a condition there the planner ANDed a scan of the
    // whole primary key (every position is below it) to the two small lookups (220 ms at 10^6 events).
    const rows: EventRow[] = await this.db.query(
      `SELECT ${ENVELOPE_COLUMNS} FROM events WHERE type IN ('SourceAdded', 'ReportRetracted') AND data->>'eventId' = ANY($1)
       UNION ALL
       SELECT ${ENVELOPE_COLUMNS} FROM events WHERE type = 'ReportDisputed' AND data->>'eventId' = ANY($1)
       ORDER BY position`,
      [ids],
    );
    return rows.map(envelopeFromRow).filter((e) => e.position <= upTo);
  }

  /**
   * The ids of the events up to position `upTo` that occurred by `asOf` and were reported by
   * `knownAt` (epoch ms; Infinity: no bound), in occurrence order (ties by position), leaving out
   * the types named and keeping only those whose metadata contains `metadataContains`, and whose
   * occurrence lies in [from, to] when given.
   */
  async idsInOccurrenceOrder(q: { upTo: number; asOf: number; knownAt: number; excludeTypes: string[]; metadataContains?: Record<string, unknown>; from?: number; to?: number }): Promise<string[]> {
    const params: unknown[] = [q.upTo, q.excludeTypes];
    const where = ['position <= $1', 'type <> ALL($2)'];
    // As text to the millisecond: a float of seconds could round an instant past itself.
    const at = (ms: number) => `$${params.push(new Date(ms).toISOString())}::timestamptz`;
    if (Number.isFinite(q.asOf)) where.push(`occurred_at <= ${at(q.asOf)}`);
    if (Number.isFinite(q.knownAt)) where.push(`reported_at <= ${at(q.knownAt)}`);
    if (q.from !== undefined) where.push(`occurred_at >= ${at(q.from)}`);
    if (q.to !== undefined) where.push(`occurred_at <= ${at(q.to)}`);
    if (q.metadataContains) where.push(`metadata @> $${params.push(JSON.stringify(q.metadataContains))}::jsonb`);
    const rows: { id: string }[] = await this.db.query(`SELECT id FROM events WHERE ${where.join(' AND ')} ORDER BY occurred_at, position`, params);
    return rows.map((r) => r.id);
  }

  /** Every version (ProposalMade) of the proposals named, up to position `upTo`, in log order. */
  async proposalVersions(proposalIds: string[], upTo: number): Promise<StoredEnvelope[]> {
    if (proposalIds.length === 0) return [];
    const rows: EventRow[] = await this.db.query(`SELECT ${ENVELOPE_COLUMNS} FROM events WHERE type = 'ProposalMade' AND data->>'proposalId' = ANY($1) ORDER BY position`, [proposalIds]);
    return rows.map(envelopeFromRow).filter((e) => e.position <= upTo); // as correctionsOf
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
