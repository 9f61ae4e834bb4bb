import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Timeline entries are no longer stored but folded again from the log (see
 * projections/derived-from-log.ts), so nothing is sorted by `sort_key` any more: readers take the
 * events in view from the log in occurrence order, through an index on (occurred_at, position).
 *
 * Documents, like facets, are kept in one partition per generation (see
 * DocStore.ensurePartitions): a rebuilt generation's predecessor is dropped whole once readers
 * have moved, not deleted row by row, so a rebuild leaves no dead rows behind (a million events:
 * the documents' table went from 185 to 369 MB over one rebuild). The documents already stored
 * move into their generation's partition.
 */
export class DerivedDocuments1764000000006 implements MigrationInterface {
  name = 'DerivedDocuments1764000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX projection_docs_sorted`);
    await q.query(`ALTER TABLE projection_docs DROP COLUMN sort_key`);
    await q.query(`CREATE INDEX events_occurred ON events (occurred_at, position)`);

    await q.query(`ALTER TABLE projection_docs RENAME TO projection_docs_unpartitioned`);
    await q.query(`ALTER TABLE projection_docs_unpartitioned RENAME CONSTRAINT projection_docs_pkey TO projection_docs_unpartitioned_pkey`);
    await q.query(`
      CREATE TABLE projection_docs (
        projection text NOT NULL,
        generation integer NOT NULL,
        key text COLLATE "C" NOT NULL,
        occurred bigint,
        reported bigint,
        doc jsonb NOT NULL,
        PRIMARY KEY (projection, generation, key)
      ) PARTITION BY LIST (generation)`);
    const generations: { g: number }[] = await q.query(`
      SELECT DISTINCT generation AS g FROM projection_docs_unpartitioned
      UNION SELECT generation FROM projection_state UNION SELECT active_generation FROM projection_state`);
    for (const { g } of generations) await q.query(`CREATE TABLE projection_docs_g${Math.trunc(g)} PARTITION OF projection_docs FOR VALUES IN (${Math.trunc(g)})`);
    await q.query(`INSERT INTO projection_docs (projection, generation, key, occurred, reported, doc) SELECT projection, generation, key, occurred, reported, doc FROM projection_docs_unpartitioned`);
    await q.query(`DROP TABLE projection_docs_unpartitioned`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projection_docs RENAME TO projection_docs_partitioned`);
    await q.query(`ALTER TABLE projection_docs_partitioned RENAME CONSTRAINT projection_docs_pkey TO projection_docs_partitioned_pkey`);
    await q.query(`
      CREATE TABLE projection_docs (
        projection text NOT NULL,
        generation integer NOT NULL,
        key text COLLATE "C" NOT NULL,
        sort_key text COLLATE "C",
        occurred bigint,
        reported bigint,
        doc jsonb NOT NULL,
        PRIMARY KEY (projection, generation, key)
      )`);
    await q.query(`INSERT INTO projection_docs (projection, generation, key, occurred, reported, doc) SELECT projection, generation, key, occurred, reported, doc FROM projection_docs_partitioned`);
    await q.query(`DROP TABLE projection_docs_partitioned`);
    await q.query(`CREATE INDEX projection_docs_sorted ON projection_docs (projection, generation, sort_key) WHERE sort_key IS NOT NULL`);
    await q.query(`DROP INDEX events_occurred`);
  }
}
