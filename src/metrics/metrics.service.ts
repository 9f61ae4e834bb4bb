// Prometheus metrics (owns: what GET /metrics reports). A registry per app instance, not
// prom-client's global one, so that several servers in one process (the tests) keep apart.
//
// Nothing here costs a request a database round trip: requests are counted and timed from an
// onResponse hook (see http/request-observer.ts) with a few in-memory updates, and everything
// that needs the database (the log's head, the projections' checkpoints) is read when Prometheus
// scrapes, once per scrape for all the gauges that need it, within SNAPSHOT_WITHIN_MS.
import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { EventStore } from '../event-store/event-store.js';
import { Projector } from '../projections/projector/projector.service.js';
import { StreamService } from '../stream/stream.service.js';

/** The routes whose successful answers are the append's: POST /events and POST /events/batch. */
const APPEND_ROUTES = new Set(['/events', '/events/batch']);
/**
 * Routes that hold their connection open (Server-Sent Events): their "latency" is how long a
 * client stayed, which would swamp the histogram. Refused streams (401, 503, …) are timed.
 */
export const LONG_LIVED_ROUTES = new Set(['/stream']);
/** The label of requests that matched no route (404s): their URLs are not a bounded set. */
export const UNMATCHED = '(unmatched)';
/** How long a scrape waits for the database before reporting it down. */
const SNAPSHOT_WITHIN_MS = 1000;

/**
 * Positions are not event counts (they come from transaction ids and skip numbers, see
 * event-store.ts): how far behind a projection is, in events, is counted, up to this many, so
 * that a scrape during a long rebuild stays cheap (checkpoint against head shows the rest).
 */
const LAG_COUNTED_UP_TO = 100_000;

interface ProjectionProgress {
  projection: string;
  /** The generation being written, and the one readers use (they differ while rebuilding). */
  generation: number;
  activeGeneration: number;
  checkpoint: number;
  activeCheckpoint: number;
  /** Events past `checkpoint` up to the head (at most LAG_COUNTED_UP_TO). */
  behind: number;
}

interface DatabaseSnapshot {
  head: number;
  projections: ProjectionProgress[];
}

/** The node-postgres pool under TypeORM's driver: counts only, read without a round trip. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

function outcomeOf(status: number): string {
  if (status === 201) return 'appended';
  if (status < 300) return 'already-stored';
  if (status < 500) return 'rejected';
  return 'failed';
}

@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly appends: Counter<'route' | 'status' | 'outcome'>;
  /** The read in flight: every gauge of a scrape is collected in the same tick and shares it. */
  private snapshot?: Promise<DatabaseSnapshot | undefined>;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(Projector) projector: Projector,
    @Inject(StreamService) streams: StreamService,
  ) {
    const registers = [this.registry];
    // Process CPU, memory, event-loop delay, GC, handles: prom-client's usual `process_*` and `nodejs_*`.
    collectDefaultMetrics({ register: this.registry });

    this.requestDuration = new Histogram({
      name: 'standpoint_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status (GET /stream connections excluded: they stay open).',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.appends = new Counter({
      name: 'standpoint_appends_total',
      help: 'Answers to POST /events and POST /events/batch by status: 201 appended, 200 already stored, 4xx rejected, 5xx failed.',
      labelNames: ['route', 'status', 'outcome'],
      registers,
    });

    // Gauges read from memory first: prom-client collects in registration order, in one tick,
    // so the pool is looked at before this scrape's own queries take connections from it.
    new Gauge({
      name: 'standpoint_projector_leader',
      help: '1 when this server runs the projector (one server of a database does at a time), 0 otherwise.',
      registers,
      collect() {
        this.set(projector.isLeader ? 1 : 0);
      },
    });
    new Gauge({
      name: 'standpoint_stream_clients',
      help: 'GET /stream connections open on this server (at most STREAM_MAX_CLIENTS).',
      registers,
      collect() {
        this.set(streams.clientCount);
      },
    });
    const pool = () => (this.db.driver as unknown as { master?: PoolCounts }).master;
    const poolGauge = (name: string, help: string, value: (p: PoolCounts) => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const p = pool();
          const v = p && value(p);
          this.reset();
          if (typeof v === 'number') this.set(v);
        },
      });
    poolGauge('standpoint_db_pool_connections', 'Connections the database pool holds, busy or idle.', (p) => p.totalCount);
    poolGauge('standpoint_db_pool_idle_connections', 'Connections of the pool that are idle.', (p) => p.idleCount);
    poolGauge('standpoint_db_pool_waiting_requests', 'Queries waiting for a connection of the pool (all are busy).', (p) => p.waitingCount);
    poolGauge('standpoint_db_pool_max_connections', 'The most connections the pool opens.', (p) => p.options?.max);
    const snapshot = () => this.databaseSnapshot();
    new Gauge({
      name: 'standpoint_database_up',
      help: 'Whether the database answered this scrape within a second (the gauges read from it are absent when not).',
      registers,
      async collect() {
        this.set((await snapshot()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'standpoint_log_head_position',
      help: 'The position of the last event readers can see (the head of the log, past the transaction fence). Positions skip numbers: compare, do not subtract.',
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        if (s) this.set(s.head);
      },
    });
    const perProjection = (name: string, help: string, value: (p: ProjectionProgress) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['projection'],
        registers,
        async collect() {
          const s = await snapshot();
          this.reset();
          for (const p of s?.projections ?? []) this.set({ projection: p.projection }, value(p));
        },
      });
    perProjection(
      'standpoint_projector_lag_events',
      `Events in the log past the checkpoint of the generation being written (during a rebuild, what the rebuild has left), counted up to ${LAG_COUNTED_UP_TO}.`,
      (p) => p.behind,
    );
    perProjection('standpoint_projection_checkpoint', 'The last log position applied by the generation being written (rebuild progress while rebuilding).', (p) => p.checkpoint);
    perProjection('standpoint_projection_active_checkpoint', 'The last log position reflected in what readers get (the active generation).', (p) => p.activeCheckpoint);
    perProjection('standpoint_projection_rebuilding', '1 while a projection is being rebuilt into a new generation, 0 otherwise.', (p) => (p.generation !== p.activeGeneration ? 1 : 0));
  }

  /** Records one answered request (from the onResponse hook): in-memory only. */
  observe(method: string, route: string | undefined, status: number, elapsedMs: number): void {
    const path = route ?? UNMATCHED;
    if (method === 'POST' && APPEND_ROUTES.has(path)) this.appends.inc({ route: path, status, outcome: outcomeOf(status) });
    if (status === 200 && LONG_LIVED_ROUTES.has(path)) return;
    this.requestDuration.observe({ method, route: path, status }, elapsedMs / 1000);
  }

  /** Everything in Prometheus' text format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The log's head and the projections' progress, read once for all the gauges of a scrape. */
  private databaseSnapshot(): Promise<DatabaseSnapshot | undefined> {
    if (this.snapshot) return this.snapshot;
    const value = within(SNAPSHOT_WITHIN_MS, this.readSnapshot()).catch(() => undefined);
    this.snapshot = value;
    void value.then(() => {
      if (this.snapshot === value) this.snapshot = undefined;
    });
    return value;
  }

  private async readSnapshot(): Promise<DatabaseSnapshot> {
    const head = await this.store.fencedHeadPosition();
    const rows: Record<string, string | number>[] = await this.db.query(
      `SELECT s.projection, s.generation, s.active_generation, s.checkpoint, s.active_checkpoint,
              (SELECT count(*) FROM (SELECT 1 FROM events e WHERE e.position > s.checkpoint AND e.position <= $1 LIMIT $2) b)::int AS behind
         FROM projection_state s ORDER BY s.projection`,
      [head, LAG_COUNTED_UP_TO],
    );
    const projections = rows.map((r) => ({
      projection: String(r.projection),
      generation: Number(r.generation),
      activeGeneration: Number(r.active_generation),
      checkpoint: Number(r.checkpoint),
      activeCheckpoint: Number(r.active_checkpoint),
      behind: Number(r.behind),
    }));
    return { head, projections };
  }
}

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  work.catch(() => {}); // a late failure after the timeout must not count as unhandled
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
