// The event store (owns: the append-only `events` table; it knows nothing of news). A thin face
// over its three parts: appending (event-appender.ts: batches, group commit, idempotency and
// expectedVersion), reading (event-reader.ts: pages past the transaction fence, the head, events
// by id) and the rows both share (event-rows.ts).
import type { DataSource, EntityManager } from 'typeorm';
import { EventAppender, type AppendOutcome } from './event-appender.js';
import { EventReader, type ReadFilter } from './event-reader.js';
import type { NewStoredEvent, StoredEnvelope, StoredEvent } from './event-rows.js';

export { IdempotencyConflict, WrongExpectedVersion, type AppendOutcome } from './event-appender.js';
export type { ReadFilter } from './event-reader.js';
export { ENVELOPE_COLUMNS, MAX_EVENTS_PER_APPEND, envelopeFromRow, type EventRow, type NewStoredEvent, type StoredEnvelope, type StoredEvent } from './event-rows.js';

/** The event store reads go through (a hot standby's, with READ_DATABASE_URL): never appended to. */
export const READ_EVENT_STORE = Symbol('READ_EVENT_STORE');

export class EventStore {
  private readonly reader: EventReader;
  private readonly appender: EventAppender;

  constructor(db: DataSource) {
    this.reader = new EventReader(db);
    this.appender = new EventAppender(db, this.reader);
  }

  /** Appends all events or none (see EventAppender.append). */
  append(events: NewStoredEvent[], expectedVersion?: number): Promise<AppendOutcome> {
    return this.appender.append(events, expectedVersion);
  }

  /** Appends inside the caller's transaction (one append per transaction: positions come from its id). */
  appendWithin(m: EntityManager, events: NewStoredEvent[], expectedVersion?: number): Promise<AppendOutcome> {
    return this.appender.appendWithin(m, events, expectedVersion);
  }

  /** The highest committed position (0 for an empty log): what expectedVersion is compared with. */
  headPosition(m?: EntityManager): Promise<number> {
    return this.reader.headPosition(m);
  }

  /** The highest position a follower can safely have read up to right now. */
  fencedHeadPosition(m?: EntityManager): Promise<number> {
    return this.reader.fencedHeadPosition(m);
  }

  /** Waits until everything committed before the call is past the fence (see EventReader.awaitFence). */
  awaitFence(withinMs?: number): Promise<void> {
    return this.reader.awaitFence(withinMs);
  }

  /** A page of the log in position order, never past the transaction fence. */
  read(filter?: ReadFilter, m?: EntityManager): Promise<StoredEvent[]> {
    return this.reader.read(filter, m);
  }

  /** `read` without metadata and fingerprints. */
  readEnvelopes(filter?: ReadFilter): Promise<StoredEnvelope[]> {
    return this.reader.readEnvelopes(filter);
  }

  getByIds(ids: string[], m?: EntityManager): Promise<StoredEvent[]> {
    return this.reader.getByIds(ids, m);
  }

  getEnvelopesByIds(ids: string[]): Promise<StoredEnvelope[]> {
    return this.reader.getEnvelopesByIds(ids);
  }

  /** The corrections about any of `ids`, up to position `upTo`, in log order. */
  correctionsOf(ids: string[], upTo: number): Promise<StoredEnvelope[]> {
    return this.reader.correctionsOf(ids, upTo);
  }

  /** Every version (ProposalMade) of the proposals named, up to position `upTo`, in log order. */
  proposalVersions(proposalIds: string[], upTo: number): Promise<StoredEnvelope[]> {
    return this.reader.proposalVersions(proposalIds, upTo);
  }

  /** Ids of the events in a view, in occurrence order (see EventReader.idsInOccurrenceOrder). */
  idsInOccurrenceOrder(q: Parameters<EventReader['idsInOccurrenceOrder']>[0]): Promise<string[]> {
    return this.reader.idsInOccurrenceOrder(q);
  }

  /** Events that point at any of `ids` through `data->>field` (e.g. corroborations of an event). */
  findReferencing(types: string[], field: string, ids: string[], m?: EntityManager): Promise<StoredEvent[]> {
    return this.reader.findReferencing(types, field, ids, m);
  }

  /** Which of `values` some event of `type` carries in `data->>field` (visible now, not fenced). */
  existingValues(type: string, field: string, values: string[], m?: EntityManager): Promise<Set<string>> {
    return this.reader.existingValues(type, field, values, m);
  }

  count(m?: EntityManager): Promise<number> {
    return this.reader.count(m);
  }
}
