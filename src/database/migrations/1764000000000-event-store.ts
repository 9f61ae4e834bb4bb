import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The append-only log. Positions come from the writing transaction's id; see event-store.ts. */
export class EventStore1764000000000 implements MigrationInterface {
  name = 'EventStore1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        position          bigint      PRIMARY KEY,
        id                uuid        NOT NULL UNIQUE,
        type              text        NOT NULL,
        occurred_at       timestamptz NOT NULL,
        occurred_is_day   boolean     NOT NULL,
        reported_at       timestamptz NOT NULL,
        reported_is_day   boolean     NOT NULL,
        recorded_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
        recorded_by       text        NOT NULL,
        data              jsonb       NOT NULL,
        sources           jsonb       NOT NULL DEFAULT '[]',
        metadata          jsonb       NOT NULL DEFAULT '{}',
        fingerprint       text        NOT NULL,
        tx                xid8        NOT NULL DEFAULT pg_current_xact_id(),
        expected_version  bigint
      )`);
    // Only conditional appends carry expected_version; the partial index costs the others nothing.
    await q.query(`CREATE UNIQUE INDEX events_expected_version ON events (expected_version) WHERE expected_version IS NOT NULL`);
    await q.query(`
      CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_refuse_change()`);
    await q.query(`CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()`);
    // No NOTIFY trigger: a notification takes a database-wide lock at commit, which serialises
    // concurrent appends. The appending server wakes its projector directly; others poll.
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE events`);
    await q.query(`DROP FUNCTION events_refuse_change()`);
  }
}
