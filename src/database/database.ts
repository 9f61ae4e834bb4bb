// The database (owns: which PostgreSQL to use, the TypeORM data source and its migrations).
// With DATABASE_URL that server; without it, a real PostgreSQL embedded under DATA_DIR.
import path from 'node:path';
import { DataSource } from 'typeorm';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { EventStore1764000000000 } from './migrations/1764000000000-event-store.js';
import { Catalogue1764000000001 } from './migrations/1764000000001-catalogue.js';
import { Projections1764000000002 } from './migrations/1764000000002-projections.js';

export const MIGRATIONS = [EventStore1764000000000, Catalogue1764000000001, Projections1764000000002];

export interface DatabaseServer {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function startDatabaseServer(databaseUrl: string | undefined, dataDir: string, log: (line: string) => void): Promise<DatabaseServer> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, stop: async () => {} };
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), log });
  // The embedded cluster keeps the application's data in its own database, not in `postgres`.
  await ensureDatabase(pg.url, 'standpoint');
  return { url: pg.url.replace(/\/postgres$/, '/standpoint'), embedded: true, stop: () => pg.stop() };
}

export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/** A new empty database on `serverUrl` for one test file or benchmark, and how to drop it. */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { randomBytes } = await import('node:crypto');
  const { default: pg } = await import('pg');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(serverUrl, name);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    entities: [],
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5000,
      // A write must fail promptly rather than hang when PostgreSQL is away.
      query_timeout: 30_000,
      application_name: 'standpoint',
    },
  });
}
