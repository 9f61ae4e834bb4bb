// Reading the log as clients see it: pages in position order and single events, each with its
// current confidence (corroborations counted) and whether it has been retracted.
import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { CORRECTION_TYPES } from '../catalogue/catalogue.js';
import { EventStore, READ_EVENT_STORE, type StoredEvent } from '../event-store/event-store.js';
import { CONFIG, type Config } from '../config/config.js';
import { NotFound } from '../http/problems.js';
import { represent, type EventRepresentation } from './event-representation.js';

export interface EventsPage {
  events: EventRepresentation[];
  /** The position to pass as `after` for the following page. */
  next: number;
  /** The bound the page was cut at, when asked for one (see GetEvents.until). */
  until?: number;
}

export class GetEvents extends Query<EventsPage> {
  constructor(
    readonly after: number,
    readonly limit: number,
    readonly type?: string,
    readonly actor?: string,
    /**
     * Leave out events past this position; `'head'` pins it at the head of the log now (after the
     * fence) and answers it as `until`, so a reader going through the whole log page by page
     * (the NDJSON export) stops where it began even while the log grows.
     */
    readonly until?: number | 'head',
  ) {
    super();
  }
}

export class GetEvent extends Query<EventRepresentation> {
  constructor(readonly id: string) {
    super();
  }
}

async function withCorrections(store: EventStore, events: StoredEvent[]): Promise<EventRepresentation[]> {
  const corrections = await store.findReferencing([...CORRECTION_TYPES], 'eventId', events.map((e) => e.id));
  // A corroboration or a dispute that was itself retracted no longer counts.
  const liftable = corrections.filter((c) => c.type === 'SourceAdded' || c.type === 'ReportDisputed');
  const withdrawn = new Set((await store.findReferencing(['ReportRetracted'], 'eventId', liftable.map((c) => c.id))).map((r) => (r.data as { eventId: string }).eventId));
  const about = (id: string) => corrections.filter((c) => (c.data as { eventId: string }).eventId === id && !withdrawn.has(c.id));
  return events.map((e) => represent(e, about(e.id)));
}

@QueryHandler(GetEvents)
export class GetEventsHandler implements IQueryHandler<GetEvents> {
  constructor(
    @Inject(READ_EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async execute(q: GetEvents): Promise<EventsPage> {
    // Read your own writes, past the fence (a numeric bound is a fenced head already).
    if (typeof q.until !== 'number') await this.store.awaitFence();
    const until = q.until === 'head' ? await this.store.fencedHeadPosition() : q.until;
    if (until !== undefined && q.after >= until) return { events: [], next: q.after, until };
    const read = await this.store.read({
      after: q.after,
      limit: q.limit,
      types: q.type ? [q.type] : undefined,
      metadataContains: q.actor ? { actors: [q.actor] } : undefined,
      // What the answer adds to each event (its envelope, corrections' sources) is small beside
      // its data and sources; a quarter of the budget is left for it.
      maxBytes: Math.floor(this.config.PAGE_MAX_BYTES * 0.75),
    });
    if (until === undefined) return { events: await withCorrections(this.store, read), next: read.at(-1)?.position ?? q.after };
    const page = read.filter((e) => e.position <= until);
    // Events past the bound mean the page reached it: the next one starts there.
    const next = page.length < read.length ? until : (page.at(-1)?.position ?? q.after);
    return { events: await withCorrections(this.store, page), next, until };
  }
}

@QueryHandler(GetEvent)
export class GetEventHandler implements IQueryHandler<GetEvent> {
  constructor(@Inject(READ_EVENT_STORE) private readonly store: EventStore) {}

  async execute({ id }: GetEvent) {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
    const [event] = uuid ? await this.store.getByIds([id]) : [];
    if (!event) throw new NotFound(`no event ${id}`);
    return (await withCorrections(this.store, [event]))[0];
  }
}
