// Where projections keep their documents (the projection_docs and projection_state tables).
import type { DataSource, EntityManager } from 'typeorm';

export interface ProjectionState {
  projection: string;
  version: number;
  generation: number;
  checkpoint: number;
  activeGeneration: number;
  activeCheckpoint: number;
}

export class DocStore {
  constructor(private readonly db: DataSource) {}

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

  async loadAll<D>(projection: string, generation: number): Promise<Map<string, D>> {
    const rows: { key: string; doc: D }[] = await this.db.query(`SELECT key, doc FROM projection_docs WHERE projection = $1 AND generation = $2`, [projection, generation]);
    return new Map(rows.map((r) => [r.key, r.doc]));
  }

  async write(m: EntityManager, projection: string, generation: number, docs: { key: string; sortKey: string | null; doc: unknown }[]): Promise<void> {
    if (docs.length === 0) return;
    await m.query(
      `INSERT INTO projection_docs (projection, generation, key, sort_key, doc)
       SELECT $1, $2, t.k, t.s, t.d::jsonb FROM unnest($3::text[], $4::text[], $5::text[]) AS t(k, s, d)
       ON CONFLICT (projection, generation, key) DO UPDATE SET doc = EXCLUDED.doc, sort_key = EXCLUDED.sort_key`,
      [projection, generation, docs.map((d) => d.key), docs.map((d) => d.sortKey), docs.map((d) => JSON.stringify(d.doc))],
    );
  }

  /** Active documents by key, as readers see them. */
  async activeDocs<D>(projection: string, keys: string[]): Promise<Map<string, D>> {
    const rows: { key: string; doc: D }[] = await this.db.query(
      `SELECT d.key, d.doc FROM projection_docs d JOIN projection_state s ON s.projection = d.projection AND s.active_generation = d.generation
       WHERE d.projection = $1 AND d.key = ANY($2)`,
      [projection, keys],
    );
    return new Map(rows.map((r) => [r.key, r.doc]));
  }

  /** Active documents whose key starts with `prefix`, in sort-key order. */
  async activeDocsByPrefix<D>(projection: string, prefix = ''): Promise<{ key: string; doc: D }[]> {
    return this.db.query(
      `SELECT d.key, d.doc FROM projection_docs d JOIN projection_state s ON s.projection = d.projection AND s.active_generation = d.generation
       WHERE d.projection = $1 AND d.key LIKE $2 ORDER BY d.sort_key NULLS LAST, d.key`,
      [projection, `${prefix.replace(/[\\%_]/g, '\\$&')}%`],
    );
  }

  /** The log position the readers' documents reflect (the lowest over the given projections). */
  async activeCheckpoint(projections: string[]): Promise<number> {
    const [row] = await this.db.query(`SELECT coalesce(min(active_checkpoint), 0) AS p FROM projection_state WHERE projection = ANY($1)`, [projections]);
    return Number(row.p);
  }
}
