// The NDJSON export (GET /events with Accept: application/x-ndjson): the whole log, or the part
// the filters select, one stored event a line exactly as GET /events/:id shows it, in position
// order, with no page limit. `npm run import` reads it back.
//
// The handler returns the async generator below and Nest streams it (so the guards, the security
// headers, CORS and the rate-limit headers apply as to any read): it reads a page of the log at a
// time through the same query as GET /events, and the next page only once the client has taken
// the last (Node's stream backpressure), so the log is never held in memory. It ends at the head
// of the log as it was when the export began, so it ends even while the log grows. A failure
// before the first line is an ordinary problem+json answer; after it, the connection is cut and
// the client sees an incomplete transfer rather than a log that looks whole.
import type { QueryBus } from '@nestjs/cqrs';
import type { ServerResponse } from 'node:http';
import { GetEvents, type EventsPage } from './read-events.query.js';

export interface ExportFilter {
  after: number;
  type?: string;
  actor?: string;
}

/** Events read from the log at a time (PAGE_MAX_BYTES may make a page shorter). */
export const EXPORT_PAGE = 500;
/** Lines are handed on in chunks of about this size: a page of large events is not one write. */
const CHUNK_BYTES = 64 * 1024;
/** A client that takes nothing for this long is cut off: it would hold a connection (and shutdown) for ever. */
const STALL_MS = 60_000;

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

/**
 * The export as chunks of whole lines. `res` is the reply's raw response, cut off if the client
 * stops reading for STALL_MS.
 */
export async function* exportLines(queries: QueryBus, filter: ExportFilter, res: ServerResponse, stallMs = STALL_MS): AsyncGenerator<string> {
  // The generator waits at a yield while the client does not read; a watchdog cuts it off.
  let waitingSince: number | undefined;
  const watchdog = setInterval(() => {
    if (waitingSince !== undefined && Date.now() - waitingSince > stallMs) res.destroy();
  }, Math.min(stallMs, 5_000));
  watchdog.unref();
  try {
    let page: EventsPage = await queries.execute(new GetEvents(filter.after, EXPORT_PAGE, filter.type, filter.actor, 'head'));
    const until = page.until!;
    for (;;) {
      let chunk = '';
      for (const event of page.events) {
        chunk += `${JSON.stringify(event)}\n`;
        if (chunk.length < CHUNK_BYTES) continue;
        waitingSince = Date.now();
        yield chunk;
        waitingSince = undefined;
        chunk = '';
      }
      if (chunk) {
        waitingSince = Date.now();
        yield chunk;
        waitingSince = undefined;
      }
      if (!page.events.length || page.next >= until) return;
      page = await queries.execute(new GetEvents(page.next, EXPORT_PAGE, filter.type, filter.actor, until));
    }
  } finally {
    clearInterval(watchdog);
  }
}
