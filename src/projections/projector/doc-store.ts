// Where projections keep their documents (owns: every statement on projection_state,
// projection_docs, projection_facets and quarantined_events, for the projector and the readers).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, EntityManager } from 'typeorm';
import type { View } from '../evidence.js';
import type { Facet } from '../projection.js';

export interface ProjectionState {
  projection: string;
  version: number;
  generation: number;
  checkpoint: number;
  activeGeneration: number;
  activeCheckpoint: number;
}

/** The tables kept in one partition per generation, and the partition holding one. */
const PARTITIONED = ['projection_docs', 'projection_facets'];
const partition = (table: string, generation: number) => `${table}_g${Math.trunc(generation)}`;
const PARTITION_LOCK = 7_316_442_013; // not the migrations' (database.ts)

/** Epoch ms as PostgreSQL bigint; "now" (infinity) becomes the largest safe value. */
const bound = (ms: number) => (Number.isFinite(ms) ? Math.floor(ms) : Number.MAX_SAFE_INTEGER);

function stampOf(doc: unknown): { occurred: number | null; reported: number | null } {
  const stamp = (doc as { ev?: { stamp?: { occurred: number; reported: number } } })?.ev?.stamp;
  return { occurred: stamp?.occurred ?? null, reported: stamp?.reported ?? null };
}

/** One document as the projector writes it. */
export interface DocWrite {
  projection: string;
  generation: number;
  key: string;
  doc: unknown;
  /** False for a derived document (Projection.derived): only its facets are written. */
  stored: boolean;
  /** Its facet rows (see Projection.facets); none for most projections. */
  facets: Facet[];
}

/** COPY's text format: backslash, newline, carriage return and tab are escaped. */
const copyText = (s: string) => (/[\\\n\r\t]/.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!) : s);
const copyNullable = (v: string | number | null) => (v === null ? '\\N' : typeof v === 'number' ? String(v) : copyText(v));

const ACTIVE = `JOIN projection_state s ON s.projection = d.projection AND s.active_generation = d.generation`;
const IN_VIEW = `(d.occurred IS NULL OR d.occurred <= $2) AND (d.reported IS NULL OR d.reported <= $3)`;

/** Where one facet walk goes next: `limit` rows older than `before` (from the newest when absent). */
export interface FacetWalkStep {
  group: string;
  facet: string;
  before?: { occurred: number; position: number };
  limit: number;
}

export interface FacetRow {
  key: string;
  occurred: number;
  position: number;
}

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

  /** A projection's first state, if no server has written one yet: generation 1, at the log's start. */
  async ensureState(projection: string, version: number): Promise<ProjectionState> {
    await this.db.query(
      `INSERT INTO projection_state (projection, version, generation, checkpoint, active_generation, active_checkpoint) VALUES ($1, $2, 1, 0, 1, 0) ON CONFLICT DO NOTHING`,
      [projection, version],
    );
    return (await this.states()).get(projection)!;
  }

  /**
   * A generation's partitions of projection_docs and projection_facets (see the migrations),
   * made if missing: before the generation's first document is written. Any server may ask at
   * once (a rebuild is requested on any): one of them makes them.
   */
  async ensurePartitions(generation: number): Promise<void> {
    const g = Math.trunc(generation);
    const missing = async (m: EntityManager) => {
      const found: { r: string | null }[] = await m.query(`SELECT to_regclass(t) AS r FROM unnest($1::text[]) AS t`, [PARTITIONED.map((table) => partition(table, g))]);
      return PARTITIONED.filter((_, i) => !found[i].r);
    };
    if ((await missing(this.db.manager)).length === 0) return;
    await this.db.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock($1)`, [PARTITION_LOCK]);
      for (const table of await missing(m)) await m.query(`CREATE TABLE ${partition(table, g)} PARTITION OF ${table} FOR VALUES IN (${g})`);
    });
  }

  /**
   * Starts a fresh generation of a projection, for a rebuild: it starts from the log's start,
   * empty (what an abandoned rebuild left of it is deleted), with no event quarantined yet (the
   * new generation finds them again). Readers keep the active generation until the switch.
   */
  async startGeneration(state: ProjectionState, version: number): Promise<ProjectionState> {
    const generation = Math.max(state.generation, state.activeGeneration) + 1;
    await this.ensurePartitions(generation);
    await this.db.transaction(async (m) => {
      for (const table of ['projection_docs', 'projection_facets']) await m.query(`DELETE FROM ${table} WHERE projection = $1 AND generation >= $2`, [state.projection, generation]);
      await m.query(`DELETE FROM quarantined_events WHERE projection = $1`, [state.projection]);
      await m.query(`UPDATE projection_state SET version = $2, generation = $3, checkpoint = 0, updated_at = now() WHERE projection = $1`, [state.projection, version, generation]);
    });
    return { ...state, version, generation, checkpoint: 0 };
  }

  /**
   * Moves each projection's checkpoint (and the readers' too, where they read the generation
   * written) from `from` to `to`, in the transaction that wrote its documents. Returns how many
   * moved: fewer than asked means another projector moved one first.
   */
  async advance(m: EntityManager, moves: { projection: string; generation: number; from: number; to: number }[]): Promise<number> {
    const [, advanced] = await m.query(
      `UPDATE projection_state s
          SET checkpoint = u.c,
              active_checkpoint = CASE WHEN s.generation = s.active_generation THEN u.c ELSE s.active_checkpoint END,
              updated_at = now()
         FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[]) AS u(p, g, c, old)
        WHERE s.projection = u.p AND s.generation = u.g AND s.checkpoint = u.old`,
      [moves.map((v) => v.projection), moves.map((v) => v.generation), moves.map((v) => v.to), moves.map((v) => v.from)],
    );
    return advanced;
  }

  /** Points readers at the generation being written, if the state is still `state`; false if it moved. */
  async switchReaders(state: ProjectionState): Promise<boolean> {
    const switched = await this.db.query(
      `UPDATE projection_state SET active_generation = generation, active_checkpoint = checkpoint, updated_at = now() WHERE projection = $1 AND generation = $2 AND checkpoint = $3`,
      [state.projection, state.generation, state.checkpoint],
    );
    // TypeORM answers an UPDATE with [rows, affected].
    return switched[1] === 1;
  }

  /**
   * Deletes the documents and facets of generations nobody reads or writes any more: a
   * generation no projection uses goes whole, its partitions dropped with their space; one that
   * another projection still uses loses the rows of those that moved on. Done after the switch,
   * not in its transaction: readers move to the new generation without waiting.
   */
  async sweepOldGenerations(): Promise<void> {
    const states = [...(await this.states()).values()];
    const used = new Set(states.flatMap((s) => [s.generation, s.activeGeneration]));
    for (const table of PARTITIONED) {
      const partitions: { generation: string }[] = await this.db.query(
        `SELECT substring(c.relname FROM '[0-9]+$') AS generation FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`,
        [table],
      );
      for (const g of partitions.map((p) => Number(p.generation))) {
        if (!used.has(g)) {
          await this.db.query(`DROP TABLE IF EXISTS ${partition(table, g)}`);
          continue;
        }
        for (const s of states) {
          if (s.generation !== g && s.activeGeneration !== g) await this.db.query(`DELETE FROM ${partition(table, g)} WHERE projection = $1`, [s.projection]);
        }
      }
    }
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
  async write(m: EntityManager, writes: DocWrite[]): Promise<void> {
    await this.upsertFacets(m, writes);
    const docs = writes.filter((d) => d.stored);
    if (docs.length === 0) return;
    const stamps = docs.map((d) => stampOf(d.doc));
    await m.query(
      `INSERT INTO projection_docs (projection, generation, key, occurred, reported, doc)
       SELECT t.p, t.g, t.k, t.o, t.r, t.d
         FROM ROWS FROM (unnest($1::text[]), unnest($2::int[]), unnest($3::text[]), unnest($4::bigint[]), unnest($5::bigint[]), jsonb_array_elements($6::jsonb))
              AS t(p, g, k, o, r, d)
       ON CONFLICT (projection, generation, key) DO UPDATE
         SET doc = EXCLUDED.doc, occurred = EXCLUDED.occurred, reported = EXCLUDED.reported`,
      [
        docs.map((d) => d.projection),
        docs.map((d) => d.generation),
        docs.map((d) => d.key),
        stamps.map((s) => s.occurred),
        stamps.map((s) => s.reported),
        JSON.stringify(docs.map((d) => d.doc)),
      ],
    );
  }

  /**
   * Facet rows of documents written by upsert: new ones inserted, those of a corrected document
   * given its retraction (the only part of a facet a correction changes).
   */
  private async upsertFacets(m: EntityManager, docs: DocWrite[]): Promise<void> {
    const rows = docs.flatMap((d) => d.facets.map((f) => ({ d, f })));
    if (rows.length === 0) return;
    await m.query(
      `INSERT INTO projection_facets (projection, generation, grp, facet, occurred, position, reported, key, retracted_occurred, retracted_reported)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::bigint[], $10::bigint[])
       ON CONFLICT (projection, generation, grp, facet, occurred, position) DO UPDATE
         SET retracted_occurred = EXCLUDED.retracted_occurred, retracted_reported = EXCLUDED.retracted_reported`,
      [
        rows.map(({ d }) => d.projection),
        rows.map(({ d }) => d.generation),
        rows.map(({ f }) => f.group),
        rows.map(({ f }) => f.facet),
        rows.map(({ f }) => Math.floor(f.occurred)),
        rows.map(({ f }) => f.position),
        rows.map(({ f }) => Math.floor(f.reported)),
        rows.map(({ d }) => d.key),
        rows.map(({ f }) => (f.retracted ? Math.floor(f.retracted.occurred) : null)),
        rows.map(({ f }) => (f.retracted ? Math.floor(f.retracted.reported) : null)),
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
        if (!d.stored) continue;
        const { occurred, reported } = stampOf(d.doc);
        chunk += `${copyText(d.projection)}\t${d.generation}\t${copyText(d.key)}\t${copyNullable(occurred)}\t${copyNullable(reported)}\t${copyText(JSON.stringify(d.doc))}\n`;
        if (chunk.length > 65_536) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    };
    if (docs.some((d) => d.stored)) {
      await pipeline(Readable.from(rows()), client.query(copyFrom(`COPY projection_docs (projection, generation, key, occurred, reported, doc) FROM STDIN`)));
    }
    if (!docs.some((d) => d.facets.length)) return;
    const facetRows = function* () {
      let chunk = '';
      for (const d of docs) {
        for (const f of d.facets) {
          chunk += `${copyText(d.projection)}\t${d.generation}\t${copyText(f.group)}\t${copyText(f.facet)}\t${Math.floor(f.occurred)}\t${f.position}\t${Math.floor(f.reported)}\t${copyText(d.key)}\t${f.retracted ? Math.floor(f.retracted.occurred) : '\\N'}\t${f.retracted ? Math.floor(f.retracted.reported) : '\\N'}\n`;
          if (chunk.length > 65_536) {
            yield chunk;
            chunk = '';
          }
        }
      }
      if (chunk) yield chunk;
    };
    await pipeline(
      Readable.from(facetRows()),
      client.query(copyFrom(`COPY projection_facets (projection, generation, grp, facet, occurred, position, reported, key, retracted_occurred, retracted_reported) FROM STDIN`)),
    );
  }

  /**
   * Active documents that can count in the view (what occurred after asOf or was reported after
   * knownAt is left out in SQL), in key order.
   */
  async activeInView<D>(projection: string, view: View): Promise<{ key: string; doc: D }[]> {
    return this.db.query(`SELECT d.key, d.doc FROM projection_docs d ${ACTIVE} WHERE d.projection = $1 AND ${IN_VIEW} ORDER BY d.key`, [projection, bound(view.asOf), bound(view.knownAt)]);
  }

  /**
   * One step of several facet walks at once: for each, the next `limit` rows in the view, older
   * (by occurrence, then position) than `before`, newest first. With `countingOnly`, rows whose
   * first retraction is in the view are passed over too. Each walk is two index range scans:
   * what occurred by min(asOf, knownAt), and — only when knownAt is the earlier — what occurred
   * after it yet was reported by it, which the partial index for early reports holds; neither
   * reads rows between the two clocks that the view leaves out.
   *
   * Each scan's upper end is one row bound, (occurred, position) <= (o, p), worked out here: with
   * a row bound and a separate bound on `occurred` PostgreSQL 15 starts a backward scan at the
   * looser one and steps over every index entry in between (415 pages for 3 rows at a million
   * events, bench/README.md).
   */
  async walkFacets(projection: string, generation: number, view: View, walks: FacetWalkStep[], countingOnly = true): Promise<FacetRow[][]> {
    if (walks.length === 0) return [];
    const asOf = bound(view.asOf);
    const knownAt = bound(view.knownAt);
    const early = Math.min(asOf, knownAt); // what occurred by then, reported by knownAt, is scan 1's
    const MAX = Number.MAX_SAFE_INTEGER;
    // Inclusive upper ends: below `before` (positions are whole numbers), and inside each scan's range.
    const ends = walks.map(({ before: b }) => ({
      first: b && b.occurred <= early ? [b.occurred, b.position - 1] : [early, MAX],
      second: b ? [b.occurred, b.position - 1] : [asOf, MAX],
    }));
    const select = `SELECT f.key, f.occurred, f.position FROM projection_facets f
       WHERE f.projection = $1 AND f.generation = $2 AND f.grp = w.grp AND f.facet = w.facet AND f.reported <= $12
         AND (NOT $13::boolean OR f.retracted_occurred IS NULL OR f.retracted_occurred > $11 OR f.retracted_reported > $12)`;
    const rows: { i: string; key: string; occurred: string; position: string }[] = await this.db.query(
      `SELECT w.i, x.key, x.occurred, x.position
         FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::int[]) WITH ORDINALITY AS w(grp, facet, o1, p1, o2, p2, n, i)
         CROSS JOIN LATERAL (
           (${select} AND (f.occurred, f.position) <= (w.o1, w.p1) ORDER BY f.occurred DESC, f.position DESC LIMIT w.n)
           UNION ALL
           (${select} AND (f.occurred, f.position) <= (w.o2, w.p2) AND f.occurred > $10 AND f.reported < f.occurred ORDER BY f.occurred DESC, f.position DESC LIMIT w.n)
           ORDER BY occurred DESC, position DESC LIMIT w.n) x
        ORDER BY w.i, x.occurred DESC, x.position DESC`,
      [
        projection,
        generation,
        walks.map((w) => w.group),
        walks.map((w) => w.facet),
        ends.map((e) => e.first[0]),
        ends.map((e) => e.first[1]),
        ends.map((e) => e.second[0]),
        ends.map((e) => e.second[1]),
        walks.map((w) => w.limit),
        early,
        asOf,
        knownAt,
        countingOnly,
      ],
    );
    const out: FacetRow[][] = walks.map(() => []);
    for (const r of rows) out[Number(r.i) - 1].push({ key: r.key, occurred: Number(r.occurred), position: Number(r.position) });
    return out;
  }

  /** The log position the readers' documents reflect (the lowest over the given projections). */
  async activeCheckpoint(projections: string[]): Promise<number> {
    const [row] = await this.db.query(`SELECT coalesce(min(active_checkpoint), 0) AS p FROM projection_state WHERE projection = ANY($1)`, [projections]);
    return Number(row.p);
  }
}

