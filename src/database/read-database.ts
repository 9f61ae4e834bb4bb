// Where reads go (owns: the read side's database and read-your-writes). With READ_DATABASE_URL,
// a PostgreSQL hot standby streaming from the primary; without it, the primary itself. Writes,
// the projector and the stream stay on the primary. A client that must see its own write asks
// with `minPosition` (the position of that write): the read waits, bounded by READ_WAIT_MS,
// until the read database reflects it — in the log for log reads, in the projections' active
// checkpoints for the read models — and is 503 with Retry-After past the bound.
import { DataSource } from 'typeorm';

/** The read side's data source (the primary's when no replica is configured). */
export const READ_DB = Symbol('READ_DB');

export type ReadsFrom = 'log' | 'projections';

/** The highest log position the read database reflects for this kind of read. */
export async function reflectedPosition(db: DataSource, reads: ReadsFrom): Promise<number> {
  const [row] = await db.query(
    reads === 'log' ? `SELECT coalesce(max(position), 0) AS p FROM events` : `SELECT coalesce(min(active_checkpoint), 0) AS p FROM projection_state`,
  );
  return Number(row.p);
}
