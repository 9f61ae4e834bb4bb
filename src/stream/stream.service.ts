// The live stream (owns: GET /stream connections). Every server follows the log itself — the log
// is the source of truth, so a client of any server sees every event, gap-free and in order.
//
// One poller per process, whatever the number of clients: while anyone is connected, a single
// loop reads the log past its head every 250 ms (at once again after a full page) and fans each
// page out to every live client, each event's frame built once. After each page it diffs the
// stance cells of the actors that page touched: the projection checkpoint and each touched
// actor's cells are read once for all clients, and only the comparison is per client.
//
// A client resuming from an older Last-Event-ID (or ?after=) replays from the log on its own, a
// page of 500 at a time, writing only as fast as the client takes it (it waits for 'drain'), until
// it reaches the poller's head; it then joins the shared feed in the same tick, so the first page
// it gets from the poller starts right after the last event it replayed: no gap, no duplicate.
// The fence (see event-store.ts) makes both readers see the same events in the same order.
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { CONFIG, type Config } from '../config/config.js';
import { EventStore, type StoredEvent } from '../event-store/event-store.js';
import { represent } from '../events/event-representation.js';
import { NotFound } from '../http/problems.js';
import { apiHeaders } from '../http/security-headers.js';
import { NOW } from '../projections/evidence.js';
import type { StanceCell } from '../projections/positions/positions.view.js';
import { PositionsReader } from '../projections/positions/positions.reader.js';
import { ProjectionStates } from '../projections/projection-states.js';

export interface StreamFilter {
  actor?: string;
  issue?: string;
  type?: string;
}

const POLL_MS = 250;
const PAGE = 500;
const HEARTBEAT_MS = 15_000;
/** A client this far behind is cut off rather than allowed to grow the server's memory. */
const MAX_BUFFERED_BYTES = 1 << 20;

type Cells = Record<string, StanceCell>;

interface Client {
  res: ServerResponse;
  filter: StreamFilter;
  /** The last log position this client has been given (or passed over): the fan-out skips up to it. */
  after: number;
  /** The stance cells last sent, by actor. */
  cells: Map<string, Cells>;
  /** Actor → the log position its cells must reflect before they are diffed and sent. */
  dirty: Map<string, number>;
  lastBeat: number;
  closed: boolean;
}

@Injectable()
export class StreamService implements BeforeApplicationShutdown {
  /** Every admitted stream, replaying or live: what STREAM_MAX_CLIENTS counts. */
  private readonly clients = new Set<Client>();
  /** The streams the shared poller feeds. */
  private readonly live = new Set<Client>();
  private readonly baseHeaders: OutgoingHttpHeaders;

  private polling = false;
  /** Everything up to here has been fanned out to the live clients; undefined until the poller starts. */
  private head: number | undefined;
  private headWaiters: (() => void)[] = [];
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();
  private shuttingDown = false;

  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(PositionsReader) private readonly read: PositionsReader,
    @Inject(ProjectionStates) private readonly projections: ProjectionStates,
    @Inject(CONFIG) private readonly config: Config,
  ) {
    // The hijacked reply skips Fastify's header handling, so the stream writes these itself.
    this.baseHeaders = apiHeaders();
  }

  /** Whether another stream may open on this server (STREAM_MAX_CLIENTS). */
  hasRoom(): boolean {
    return this.clients.size < this.config.STREAM_MAX_CLIENTS;
  }

  get maxClients(): number {
    return this.config.STREAM_MAX_CLIENTS;
  }

  /** Streams open on this server now, replaying or live (the metrics' stream clients gauge). */
  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Streams to `res` from after `cursor` (a log position; now when undefined) until the client
   * goes away. `headers` are those already set on the reply (CORS, rate limit, …).
   */
  async serve(res: ServerResponse, cursor: number | undefined, filter: StreamFilter, headers: Record<string, string | number | string[] | undefined> = {}): Promise<void> {
    const client: Client = { res, filter, after: cursor ?? 0, cells: new Map(), dirty: new Map(), lastBeat: Date.now(), closed: false };
    // Admitted synchronously, in the tick the controller checked hasRoom().
    this.clients.add(client);
    try {
      res.on('close', () => this.drop(client));
      const own: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) own[name.toLowerCase()] = typeof value === 'number' ? String(value) : value;
      res.writeHead(200, {
        ...this.baseHeaders,
        ...own,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': standpoint stream\n\n');
      if (this.shuttingDown) {
        this.drop(client);
        res.end();
        return;
      }
      this.startPolling();
      await this.knownHead();
      if (client.closed || this.head === undefined) return;
      if (cursor === undefined) {
        // Live from the poller's head, joined in the tick it is read.
        client.after = this.head;
        this.live.add(client);
      } else {
        await this.replay(client, cursor);
      }
    } catch {
      // Nothing escapes a stream (the controller does not wait for it): the client reconnects.
      this.drop(client);
      if (!res.destroyed) res.destroy();
    }
  }

  /** Reads the log from after `after` for this client alone until it reaches the shared head. */
  private async replay(client: Client, after: number): Promise<void> {
    for (;;) {
      if (client.closed || this.shuttingDown) return;
      if (this.head === undefined) {
        if ((await this.knownHead()) === undefined) return;
        continue;
      }
      if (after >= this.head) {
        // Same tick as the comparison: the poller cannot fan out a page in between.
        client.after = after;
        this.live.add(client);
        return;
      }
      let page: StoredEvent[];
      try {
        page = await this.store.read({ after, limit: PAGE });
      } catch {
        await delay(POLL_MS);
        continue;
      }
      for (const e of page) {
        if (client.closed) return;
        after = e.position;
        if (!matches(e, client.filter)) continue;
        this.markDirty(client, e);
        await this.writePaced(client, appendedFrame(e));
      }
      // Behind the head yet nothing to read cannot happen (the head was read from this log);
      // should it, do not spin.
      if (page.length === 0) await delay(POLL_MS);
    }
  }

  /** The shared poller: one per process, running while any stream is open. */
  private startPolling(): void {
    if (this.polling) return;
    this.polling = true;
    this.head = undefined;
    this.loop = this.poll();
  }

  private async poll(): Promise<void> {
    for (;;) {
      // Decided and recorded in one tick, so a stream arriving now starts a new poller.
      if (this.clients.size === 0 || this.shuttingDown) {
        this.polling = false;
        this.head = undefined;
        this.releaseHeadWaiters();
        return;
      }
      let full = false;
      try {
        if (this.head === undefined) {
          this.head = await this.store.fencedHeadPosition();
          this.releaseHeadWaiters();
        } else {
          const page = await this.store.read({ after: this.head, limit: PAGE });
          this.fanOut(page);
          full = page.length === PAGE;
        }
        await this.sendChangedCells();
      } catch {
        // The database is unreachable or the server is closing: try again after the pause.
      }
      this.heartbeats();
      if (!full) await this.pause(POLL_MS);
    }
  }

  private fanOut(page: StoredEvent[]): void {
    for (const e of page) {
      let frame: string | undefined;
      for (const client of this.live) {
        if (e.position <= client.after) continue;
        client.after = e.position;
        if (!matches(e, client.filter)) continue;
        this.markDirty(client, e);
        this.send(client, (frame ??= appendedFrame(e)));
      }
      this.head = e.position;
    }
  }

  private markDirty(client: Client, e: StoredEvent): void {
    for (const actor of actorsOf(e)) if (!client.filter.actor || actor === client.filter.actor) client.dirty.set(actor, e.position);
  }

  /**
   * Once positions reflect an actor's latest event, sends each client the stance cells that
   * changed for it. The checkpoint and each actor's cells are read once for all clients.
   */
  private async sendChangedCells(): Promise<void> {
    const waiting = [...this.clients].filter((c) => c.dirty.size > 0);
    if (!waiting.length) return;
    const projected = await this.projections.checkpoint('positions');
    const actors = new Set<string>();
    for (const c of waiting) for (const [actor, position] of c.dirty) if (position <= projected) actors.add(actor);
    const now = new Map<string, Cells | null>();
    for (const actor of actors) {
      try {
        now.set(actor, (await this.read.position(actor, NOW, 1)).stances);
      } catch (error) {
        if (error instanceof NotFound) now.set(actor, null); // nothing to show; stop asking
        // Otherwise (the database) the actor stays dirty and is read again next time.
      }
    }
    // From here on synchronous: no page can change a client's dirty set half-way.
    for (const client of waiting) {
      if (client.closed) continue;
      for (const [actor, position] of client.dirty) {
        if (position > projected || !now.has(actor)) continue;
        client.dirty.delete(actor);
        const stances = now.get(actor);
        if (!stances) continue;
        const before = client.cells.get(actor) ?? {};
        for (const [issue, cell] of Object.entries(stances)) {
          if (client.filter.issue && issue !== client.filter.issue) continue;
          if (JSON.stringify(before[issue]) === JSON.stringify(cell)) continue;
          this.send(client, `event: position\ndata: ${JSON.stringify({ actor, issue, cell, position: projected })}\n\n`);
        }
        client.cells.set(actor, stances);
      }
    }
  }

  private heartbeats(): void {
    const now = Date.now();
    for (const client of this.clients) {
      if (now - client.lastBeat <= HEARTBEAT_MS) continue;
      this.send(client, ': heartbeat\n\n');
      client.lastBeat = now;
    }
  }

  /** A live write: a client more than MAX_BUFFERED_BYTES behind is cut off (it resumes). */
  private send(client: Client, frame: string): void {
    if (client.closed) return;
    client.res.write(frame);
    if (client.res.writableLength > MAX_BUFFERED_BYTES) {
      client.res.write('event: error\ndata: {"detail":"too far behind; reconnect with Last-Event-ID"}\n\n');
      this.drop(client);
      client.res.destroy();
    }
  }

  /** A replay write: waits for the client to take what is buffered before writing more. */
  private async writePaced(client: Client, frame: string): Promise<void> {
    if (client.closed || client.res.write(frame)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        client.res.off('drain', done);
        client.res.off('close', done);
        resolve();
      };
      client.res.on('drain', done);
      client.res.on('close', done);
    });
  }

  private drop(client: Client): void {
    client.closed = true;
    this.clients.delete(client);
    this.live.delete(client);
  }

  /** Resolves with the poller's head once it has one (undefined if the poller stopped first). */
  private knownHead(): Promise<number | undefined> {
    if (this.head !== undefined || !this.polling) return Promise.resolve(this.head);
    return new Promise((resolve) => this.headWaiters.push(() => resolve(this.head)));
  }

  private releaseHeadWaiters(): void {
    const waiters = this.headWaiters;
    this.headWaiters = [];
    for (const w of waiters) w();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Before the HTTP server closes, or it would wait on these connections for ever. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const client of [...this.clients]) {
      this.drop(client);
      client.res.end();
    }
    this.wake?.();
    // Let the poller finish its query before the connection pool goes.
    await this.loop;
  }
}

function appendedFrame(e: StoredEvent): string {
  return `id: ${e.position}\nevent: appended\ndata: ${JSON.stringify(represent(e))}\n\n`;
}

function actorsOf(e: StoredEvent): string[] {
  return (e.metadata.actors as string[] | undefined) ?? [];
}

function matches(e: StoredEvent, filter: StreamFilter): boolean {
  if (filter.type && e.type !== filter.type) return false;
  if (filter.actor && !actorsOf(e).includes(filter.actor)) return false;
  if (filter.issue && !((e.metadata.issues as string[] | undefined) ?? []).includes(filter.issue)) return false;
  return true;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
