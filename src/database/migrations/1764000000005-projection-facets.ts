import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Facets: compact rows beside a projection's documents that let a reader find, with an index,
 * the few documents an answer rests on instead of holding them all in memory. One row per
 * (document, facet) — positions: per actor entry, one for the entry itself and one per stance
 * cell, claimant cell and list it feeds — with the document's clocks and its first retraction's
 * clocks. A reader walks one (group, facet)
 * newest first, by occurrence, cut to its (asOf, knownAt) view in the index condition.
 *
 * Events reported before they occurred are rare, and a view with knownAt before asOf must find
 * them without walking every row between the two: they get a partial index of their own.
 *
 * One partition per generation (created with it, see DocStore.ensurePartitions): a rebuilt
 * generation's predecessor is dropped whole once readers have moved, not deleted row by row,
 * so a rebuild leaves no dead rows behind.
 *
 * Readers no longer cache documents and fetch what changed since, so `changed_at` goes.
 */
export class ProjectionFacets1764000000005 implements MigrationInterface {
  name = 'ProjectionFacets1764000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE projection_facets (
        projection text COLLATE "C" NOT NULL,
        generation integer NOT NULL,
        grp text COLLATE "C" NOT NULL,
        facet text COLLATE "C" NOT NULL,
        occurred bigint NOT NULL,
        position bigint NOT NULL,
        reported bigint NOT NULL,
        key text COLLATE "C" NOT NULL,
        retracted_occurred bigint,
        retracted_reported bigint,
        PRIMARY KEY (projection, generation, grp, facet, occurred, position)
      ) PARTITION BY LIST (generation)`);
    await q.query(
      `CREATE INDEX projection_facets_early ON projection_facets (projection, generation, grp, facet, occurred, position) WHERE reported < occurred`,
    );
    await q.query(`DROP INDEX projection_docs_changed`);
    await q.query(`ALTER TABLE projection_docs DROP COLUMN changed_at`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projection_docs ADD COLUMN changed_at bigint NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX projection_docs_changed ON projection_docs (projection, generation, changed_at)`);
    await q.query(`DROP TABLE projection_facets`);
  }
}
