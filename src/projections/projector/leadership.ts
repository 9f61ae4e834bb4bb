// The projector's leadership (owns: the one PostgreSQL connection that holds the advisory lock
// making this server the projector, and LISTENs for appends). If the server dies, PostgreSQL drops
// the connection and its lock, and another server's projector takes over.
import pg from 'pg';

const LOCK_KEY = 7_316_442_011; // any constant shared by every server of one database

export class Leadership {
  private client?: pg.Client;

  constructor(
    private readonly url: string,
    /** An append (or a rebuild request) was announced. */
    private readonly onNotice: () => void,
    /** The connection, and with it the lock, is gone. */
    private readonly onLost: () => void,
  ) {}

  get held(): boolean {
    return this.client !== undefined;
  }

  /** Takes the lock if no other server holds it; true if this server now leads. */
  async tryTake(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'standpoint-projector' });
    client.on('error', () => this.onLost());
    try {
      await client.connect();
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY]);
      if (!rows[0].locked) {
        await client.end();
        return false;
      }
      await client.query('LISTEN events_appended');
      client.on('notification', () => this.onNotice());
      client.on('end', () => this.onLost());
      this.client = client;
      return true;
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
