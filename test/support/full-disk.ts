// A full disk, as PostgreSQL reports it (SQLSTATE 53100), raised from a trigger: a fault a test
// cannot make for real without filling the machine's disk.
import type { TestApp } from './test-server.js';

/** From now on, writes to `table` fail as on a full disk (the projector's: projection_state; appends: events). */
export async function fillDisk(app: TestApp, table: 'projection_state' | 'events'): Promise<void> {
  await app.db.query(`CREATE OR REPLACE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$`);
  await app.db.query(`CREATE TRIGGER disk_full BEFORE ${table === 'events' ? 'INSERT' : 'UPDATE'} ON ${table} FOR EACH ROW EXECUTE FUNCTION disk_full()`);
}

/** Room again, on `table`. */
export async function freeDisk(app: TestApp, table: 'projection_state' | 'events'): Promise<void> {
  await app.db.query(`DROP TRIGGER IF EXISTS disk_full ON ${table}`);
}
