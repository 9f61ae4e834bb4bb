// Where projections keep their documents (the projection_docs and projection_state tables).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, EntityManager } from 'typeorm';
import type { View } from '../evidence.js';

export interface ProjectionState {
  projection: string;
  version: number;
  generation: number;
  checkpoint: number;
  activeGeneration: number;
  activeCheckpoint: number;
}

/** Epoch ms as PostgreSQL bigint; "now" (infinity) becomes the largest safe value. */
const bound = (ms: number) => (Number.isFinite(ms) ? Math.floor(ms) : Number.MAX_SAFE_INTEGER);

function stampOf(doc: unknown): { occurred: number | null; reported: number | null } {
  const stamp = (doc as { ev?: { stamp?: { occurred: number; reported: number } } })?.ev?.stamp;
  return { occurred: stamp?.occurred ?? null, reported: stamp?.reported ?? null };
}

/** One document as the projector writes it, with the checkpoint that wrote it. */
export interface DocWrite {
  projection: string;
  generation: number;
  key: string;
  sortKey: string | null;
  doc: unknown;
  changedAt: number;
}

/** COPY's text format: backslash, newline, carriage return and tab are escaped. */
const copyText = (s: string) => (/[\\\n\r\t]/.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!) : s);
const copyNullable = (v: string | number | null) => (v === null ? '\\N' : typeof v === 'number' ? String(v) : copyText(v));

const ACTIVE = `JOIN projection_state s ON s.projection = d.projection AND s.active_generation = d.generation`;
const IN_VIEW = `(d.occurred IS NULL OR d.occurred <= $2) AND (d.reported IS NULL OR d.reported <= $3)`;

export class DocStore {
  constructor(private readonly db: DataSource) {}

  /** Records events a projection could not fold (see Projector.fold); a second sighting changes nothing. */
  async quarantine(m: EntityManager, events: { projection: string; eventId: string; position: number; reason: string }[]): Promise<void> {
    if (events.length === 0) return;
    await m.query(
      `INSERT INTO quarantined_events (projection, event_id, position, reason)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::text[]) ON CONFLICT DO NOTHING`,
      [events.map((e) => e.projection), events.map((e) => e.eventId), events.map((e) => e.position), events.map((e) => e.reason.slice(0, 1000))],
    );
  }

  /** Every quarantined event, the projections that set it aside and why, in log order. */
  async quarantined(): Promise<{ eventId: string; position: number; projections: string[]; reason: string }[]> {
    const rows: { event_id: string; position: string; projections: string[]; reason: string }[] = await this.db.query(
      `SELECT event_id, position, array_agg(projection ORDER BY projection) AS projections, min(reason) AS reason
         FROM quarantined_events GROUP BY event_id, position ORDER BY position LIMIT 100`,
    );
    return rows.map((r) => ({ eventId: r.event_id, position: Number(r.position), projections: r.projections, reason: r.reason }));
  }

  /**
   * How each projection is getting on: the checkpoint of the generation being written, how long
   * since it last advanced, and how long the first event past it has been waiting (null: none).
   */
  async progress(): Promise<{ projection: string; checkpoint: number; idleMs: number; waitingMs: number | null }[]> {
    const rows: { projection: string; checkpoint: string; idle_ms: number; waiting_ms: number | null }[] = await this.db.query(
      `SELECT s.projection, s.checkpoint,
              extract(epoch FROM now() - s.updated_at) * 1000 AS idle_ms,
              (SELECT extract(epoch FROM now() - e.recorded_at) * 1000 FROM events e WHERE e.position > s.checkpoint ORDER BY e.position LIMIT 1) AS waiting_ms
         FROM projection_state s`,
    );
    return rows.map((r) => ({ projection: r.projection, checkpoint: Number(r.checkpoint), idleMs: Number(r.idle_ms), waitingMs: r.waiting_ms === null ? null : Number(r.waiting_ms) }));
  }

  async states(m: EntityManager = this.db.manager): Promise<Map<string, ProjectionState>> {
    const rows = await m.query(`SELECT projection, version, generation, checkpoint, active_generation, active_checkpoint FROM projection_state`);
    return new Map(
      rows.map((r: Record<string, string>) => [
        r.projection,
        {
          projection: r.projection,
          version: Number(r.version),
          generation: Number(r.generation),
          checkpoint: Number(r.checkpoint),
          activeGeneration: Number(r.active_generation),
          activeCheckpoint: Number(r.active_checkpoint),
        },
      ]),
    );
  }

  /**
   * The projector's own read: documents of the generation it is writing, each looked up by its
   * whole key. Not `key = ANY(…)`: while a rebuild fills a generation, the statistics still see
   * it as nearly empty, so the planner scanned the generation so far and filtered the keys, on
   * every page (80 ms for 300 keys at 130 000 documents, against 3 ms this way; EXPLAIN in
   * bench/README.md).
   */
  async load<D>(projection: string, generation: number, keys: string[]): Promise<Map<string, D>> {
    if (keys.length === 0) return new Map();
    const rows: { key: string; doc: D }[] = await this.db.query(
      // LIMIT 1 keeps the subquery from being flattened into a join the planner would cost on those statistics.
      `SELECT d.key, d.doc FROM unnest($3::text[]) AS k(key)
         CROSS JOIN LATERAL (SELECT key, doc FROM projection_docs WHERE projection = $1 AND generation = $2 AND key = k.key LIMIT 1) d`,
      [projection, generation, keys],
    );
    return new Map(rows.map((r) => [r.key, r.doc]));
  }

  /**
   * Inserts or replaces documents, of any projections, in one statement. The documents travel
   * as one JSON array, not a text[] of JSON: pg escapes every quote of every element of an
   * array parameter, which was a few per cent of a rebuild.
   */
  async write(m: EntityManager, docs: DocWrite[]): Promise<void> {
    if (docs.length === 0) return;
    const stamps = docs.map((d) => stampOf(d.doc));
    await m.query(
      `INSERT INTO projection_docs (projection, generation, key, sort_key, occurred, reported, changed_at, doc)
       SELECT t.p, t.g, t.k, t.s, t.o, t.r, t.c, t.d
         FROM ROWS FROM (unnest($1::text[]), unnest($2::int[]), unnest($3::text[]), unnest($4::text[]), unnest($5::bigint[]), unnest($6::bigint[]), unnest($7::bigint[]), jsonb_array_elements($8::jsonb))
              AS t(p, g, k, s, o, r, c, d)
       ON CONFLICT (projection, generation, key) DO UPDATE
         SET doc = EXCLUDED.doc, sort_key = EXCLUDED.sort_key, occurred = EXCLUDED.occurred, reported = EXCLUDED.reported, changed_at = EXCLUDED.changed_at`,
      [
        docs.map((d) => d.projection),
        docs.map((d) => d.generation),
        docs.map((d) => d.key),
        docs.map((d) => d.sortKey),
        stamps.map((s) => s.occurred),
        stamps.map((s) => s.reported),
        docs.map((d) => d.changedAt),
        JSON.stringify(docs.map((d) => d.doc)),
      ],
    );
  }

  /**
   * Inserts documents whose keys the generation does not hold yet, through COPY: about three
   * times the rate of the INSERT above, which a rebuild's hundreds of thousands of documents
   * need. A key that exists after all fails the whole transaction with a unique violation.
   */
  async copyNew(m: EntityManager, docs: DocWrite[]): Promise<void> {
    if (docs.length === 0) return;
    const client = (await m.queryRunner!.connect()) as pg.PoolClient;
    const rows = function* () {
      let chunk = '';
      for (const d of docs) {
        const { occurred, reported } = stampOf(d.doc);
        chunk += `${copyText(d.projection)}\t${d.generation}\t${copyText(d.key)}\t${copyNullable(d.sortKey)}\t${copyNullable(occurred)}\t${copyNullable(reported)}\t${d.changedAt}\t${copyText(JSON.stringify(d.doc))}\n`;
        if (chunk.length > 65_536) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    };
    await pipeline(Readable.from(rows()), client.query(copyFrom(`COPY projection_docs (projection, generation, key, sort_key, occurred, reported, changed_at, doc) FROM STDIN`)));
  }

  /**
   * Active documents that changed after `since` (all of them for since = -1),
   * up to the active checkpoint read first: whatever the projector commits meanwhile waits for
   * the next call, so the documents and the checkpoint returned always agree.
   */
  async activeChangedSince<D>(projection: string, since: number): Promise<{ generation: number; checkpoint: number; docs: { key: string; doc: D }[] }> {
    const [state] = await this.db.query(`SELECT active_generation AS g, active_checkpoint AS c FROM projection_state WHERE projection = $1`, [projection]);
    if (!state) return { generation: 0, checkpoint: 0, docs: [] };
    const generation = Number(state.g);
    const checkpoint = Number(state.c);
    if (checkpoint <= since) return { generation, checkpoint, docs: [] };
    const docs: { key: string; doc: D }[] = await this.db.query(
      `SELECT key, doc FROM projection_docs WHERE projection = $1 AND generation = $2 AND changed_at > $3 AND changed_at <= $4`,
      [projection, generation, since, checkpoint],
    );
    return { generation, checkpoint, docs };
  }

  /**
   * Active documents that can count in the view (what occurred after asOf or was reported after
   * knownAt is left out in SQL), in sort-key order; `extraWhere` narrows further ($1.. its own).
   */
  async activeInView<D>(projection: string, view: View, options: { extraWhere?: string; extraParams?: unknown[] } = {}): Promise<{ key: string; doc: D }[]> {
    const params: unknown[] = [projection, bound(view.asOf), bound(view.knownAt)];
    let where = `d.projection = $1 AND ${IN_VIEW}`;
    if (options.extraWhere) {
      where += ` AND ${options.extraWhere.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + params.length}`)}`;
      params.push(...(options.extraParams ?? []));
    }
    return this.db.query(`SELECT d.key, d.doc FROM projection_docs d ${ACTIVE} WHERE ${where} ORDER BY d.sort_key NULLS LAST, d.key`, params);
  }

  /** The log position the readers' documents reflect (the lowest over the given projections). */
  async activeCheckpoint(projections: string[]): Promise<number> {
    const [row] = await this.db.query(`SELECT coalesce(min(active_checkpoint), 0) AS p FROM projection_state WHERE projection = ANY($1)`, [projections]);
    return Number(row.p);
  }
}

