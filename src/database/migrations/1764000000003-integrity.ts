import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SQLSTATE the retraction rule raises; the event store turns it into AlreadyRetracted. */
export const ALREADY_RETRACTED = 'SP409';

/**
 * What no request may break:
 * - corrections stored before ids were canonicalised at the edge point at their target in the
 *   case they were sent in, while `events.id` (a uuid) is stored in lower case: they are
 *   rewritten to the stored form, so the projector finds their targets (the log is append-only
 *   for clients; this one-off repair is the migration's, with the trigger off for it alone);
 * - an event is retracted at most once, even by concurrent requests: the check takes a lock on
 *   the target's id for the rest of the transaction, so a second retraction waits for the first
 *   to commit and then sees it (a unique index could not be added over logs that already hold
 *   such doubles);
 * - events that fail to fold are recorded per projection rather than stopping it.
 */
export class Integrity1764000000003 implements MigrationInterface {
  name = 'Integrity1764000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DISABLE TRIGGER events_append_only`);
    await q.query(`
      UPDATE events SET data = jsonb_set(data, '{eventId}', to_jsonb(lower(data->>'eventId')))
       WHERE type IN ('SourceAdded', 'ReportRetracted') AND data->>'eventId' <> lower(data->>'eventId')`);
    await q.query(`ALTER TABLE events ENABLE TRIGGER events_append_only`);

    await q.query(`
      CREATE FUNCTION events_one_retraction() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('retraction:' || (NEW.data->>'eventId'), 0));
        IF EXISTS (SELECT 1 FROM events WHERE type IN ('SourceAdded', 'ReportRetracted') AND data->>'eventId' = NEW.data->>'eventId' AND type = 'ReportRetracted' AND id <> NEW.id) THEN
          RAISE EXCEPTION 'event % is already retracted', NEW.data->>'eventId' USING ERRCODE = '${ALREADY_RETRACTED}';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER events_one_retraction BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.type = 'ReportRetracted') EXECUTE FUNCTION events_one_retraction()`);

    await q.query(`
      CREATE TABLE quarantined_events (
        projection text NOT NULL,
        event_id uuid NOT NULL,
        position bigint NOT NULL,
        reason text NOT NULL,
        quarantined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projection, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE quarantined_events`);
    await q.query(`DROP TRIGGER events_one_retraction ON events; DROP FUNCTION events_one_retraction()`);
  }
}
