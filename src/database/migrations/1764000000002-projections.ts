import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models as keyed JSON documents, one generic table for every projection. The projector
 * writes `generation` up to `checkpoint`; readers read `active_generation`. They are the same
 * except during a rebuild, which fills a fresh generation and then switches readers over.
 * `occurred`/`reported` copy the clocks of the event a document came from (epoch ms), so a
 * reader can leave out in SQL what cannot be in its (asOf, knownAt) view; `changed_at` is the
 * checkpoint that last wrote a document, so a reader's cache fetches only what changed. Keys are compared
 * bytewise so that a prefix (`hamas/`) is an index range.
 */
export class Projections1764000000002 implements MigrationInterface {
  name = 'Projections1764000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE projection_state (
        projection text PRIMARY KEY,
        version integer NOT NULL,
        generation integer NOT NULL,
        checkpoint bigint NOT NULL DEFAULT 0,
        active_generation integer NOT NULL,
        active_checkpoint bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE projection_docs (
        projection text NOT NULL,
        generation integer NOT NULL,
        key text COLLATE "C" NOT NULL,
        sort_key text COLLATE "C",
        occurred bigint,
        reported bigint,
        changed_at bigint NOT NULL DEFAULT 0,
        doc jsonb NOT NULL,
        PRIMARY KEY (projection, generation, key)
      )`);
    await q.query(`CREATE INDEX projection_docs_sorted ON projection_docs (projection, generation, sort_key) WHERE sort_key IS NOT NULL`);
    await q.query(`CREATE INDEX projection_docs_changed ON projection_docs (projection, generation, changed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE projection_docs; DROP TABLE projection_state`);
  }
}
