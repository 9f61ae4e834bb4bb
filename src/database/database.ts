// The database (owns: which PostgreSQL to use, the TypeORM data source and its migrations).
// With DATABASE_URL that server; without it, a real PostgreSQL embedded under DATA_DIR.
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConfigError } from '../config/config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { EventStore1764000000000 } from './migrations/1764000000000-event-store.js';
import { Catalogue1764000000001 } from './migrations/1764000000001-catalogue.js';
import { Projections1764000000002 } from './migrations/1764000000002-projections.js';
import { Integrity1764000000003 } from './migrations/1764000000003-integrity.js';
import { ProjectionFacets1764000000005 } from './migrations/1764000000005-projection-facets.js';
import { DerivedDocuments1764000000006 } from './migrations/1764000000006-derived-documents.js';
import { NewsAsReported1764000000004 } from './migrations/1764000000004-news-as-reported.js';

export const MIGRATIONS = [EventStore1764000000000, Catalogue1764000000001, Projections1764000000002, Integrity1764000000003, NewsAsReported1764000000004, ProjectionFacets1764000000005, DerivedDocuments1764000000006];

export interface DatabaseServer {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function startDatabaseServer(databaseUrl: string | undefined, dataDir: string, log: (line: string) => void): Promise<DatabaseServer> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, stop: async () => {} };
  // The password of the embedded cluster: beside it in DATA_DIR, readable by this process's user only.
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(dataDir, 'pg'),
    secretFile: path.join(dataDir, 'pg-secret'),
    log,
    warn: (line) => new Logger('embedded-postgres').warn(line),
  });
  // The embedded cluster keeps the application's data in its own database, not in `postgres`.
  await ensureDatabase(pg.url, 'standpoint');
  return { url: pg.url.replace(/\/postgres$/, '/standpoint'), embedded: true, stop: () => pg.stop() };
}

/**
 * DATABASE_URL names a server the app cannot use (unreachable, wrong user or password, no such
 * database, not allowed): a configuration mistake, so main.ts prints the message alone, no stack.
 */
export class DatabaseUrlError extends ConfigError {}

/** `url` with its password (and any password query parameter) replaced by *****. */
export function maskDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '*****';
    for (const key of ['password', 'sslpassword']) if (u.searchParams.has(key)) u.searchParams.set(key, '*****');
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:*****@');
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/**
 * What to throw when the first connection (or the migrations) through DATABASE_URL failed: a
 * DatabaseUrlError saying why and what to check if the cause is the server, the credentials, the
 * database or the role's rights (or anything before a connection was made), else `error` itself.
 */
export function databaseUrlFailure(url: string, error: unknown, connected: boolean): Error {
  const e = (error ?? {}) as { message?: string; code?: string; errors?: unknown[] };
  const code = e.code ?? '';
  const nested = error instanceof AggregateError ? error.errors.map((x: unknown) => (x instanceof Error ? x.message : String(x))) : [];
  let cause = [...new Set(nested)].join('; ') || e.message || code || String(error);
  let hint: string;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    hint = 'Is the host name right?';
  } else if (NETWORK_CODES.has(code) || /timeout|terminated|ECONNREFUSED/i.test(cause)) {
    hint = 'Is PostgreSQL running, and listening on that host and port?';
  } else if (code === '28P01' || code === '28000' || /SASL|password/i.test(cause)) {
    hint = /client password must be a string/.test(cause) ? 'The server asks for a password and the URL has none.' : 'Check the user name and the password in the URL.';
  } else if (code === '3D000') {
    hint = 'Create that database first (createdb), or name one that exists.';
  } else if (code === '42501' || code.startsWith('28') || code.startsWith('08') || code === '53300' || code === '57P03' || !connected) {
    hint = code === '42501' ? 'The role needs the right to create tables in the database (schema public).' : 'Check the URL and the server.';
  } else {
    return error instanceof Error ? error : new Error(String(error));
  }
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // unparsable: nothing more to hide than maskDatabaseUrl does
  }
  if (password.length >= 4) cause = cause.split(password).join('*****');
  return new DatabaseUrlError(
    `Cannot use the PostgreSQL named by DATABASE_URL (${maskDatabaseUrl(url)}): ${cause.replace(/\.?\s*$/, '')}. ${hint} ` +
      'Fix DATABASE_URL, or unset it to run the embedded PostgreSQL under DATA_DIR.',
    { cause: error },
  );
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

/** Any constant shared by every server of one database: who holds it runs the migrations. */
const MIGRATION_LOCK = 7_316_442_012;

/**
 * Runs the pending migrations under a PostgreSQL advisory lock, so that servers starting at
 * once on a fresh database migrate it once: TypeORM takes no lock of its own, and concurrent
 * runs collided ("duplicate key value violates unique constraint pg_type_typname_nsp_index").
 * The others wait, then find nothing left to run.
 */
export async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}

/** The data source; `initialize()` it, then `migrate()` it. */
export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsRun: false,
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
      // No parallel workers: every query here reads a few index ranges, and starting workers
      // cost more than the query (a 1 ms lookup of corrections took 44 ms at 10^6 events when
      // the planner, misjudging how many rows ANY($1) matches, planned it in parallel).
      options: '-c max_parallel_workers_per_gather=0',
    },
  });
}
