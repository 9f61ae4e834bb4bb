import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Timeline entries are no longer stored but folded again from the log (see
 * projections/derived-from-log.ts), so nothing is sorted by `sort_key` any more: readers take the
 * events in view from the log in occurrence order, through an index on (occurred_at, position).
 */
export class DerivedDocuments1764000000006 implements MigrationInterface {
  name = 'DerivedDocuments1764000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX projection_docs_sorted`);
    await q.query(`ALTER TABLE projection_docs DROP COLUMN sort_key`);
    await q.query(`CREATE INDEX events_occurred ON events (occurred_at, position)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX events_occurred`);
    await q.query(`ALTER TABLE projection_docs ADD COLUMN sort_key text COLLATE "C"`);
    await q.query(`CREATE INDEX projection_docs_sorted ON projection_docs (projection, generation, sort_key) WHERE sort_key IS NOT NULL`);
  }
}
