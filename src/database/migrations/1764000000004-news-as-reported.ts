import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contract v2, the news as it is reported: an uncertain occurrence (`A/B`, `../B`) keeps the
 * text as sent and the start of its interval beside `occurred_at`, which holds its end (the sort
 * key); disputes are looked up by the event they contest, as corroborations and retractions are.
 */
export class NewsAsReported1764000000004 implements MigrationInterface {
  name = 'NewsAsReported1764000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events ADD COLUMN occurred_text text, ADD COLUMN occurred_from timestamptz`);
    await q.query(`CREATE INDEX events_disputed_id ON events ((data->>'eventId')) WHERE type = 'ReportDisputed'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX events_disputed_id`);
    await q.query(`ALTER TABLE events DROP COLUMN occurred_text, DROP COLUMN occurred_from`);
  }
}
