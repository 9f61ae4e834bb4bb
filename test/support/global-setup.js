// One throwaway PostgreSQL for the whole run, unless DATABASE_URL names a server to use instead.
// Each test file then creates its own database on it (see test-server.ts). Jest loads this file
// outside its transformer, so the TypeScript launcher is imported through tsx.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const { startEmbeddedPostgres } = await tsImport('../../src/database/embedded-postgres.ts', import.meta.url);
    // Under the system temp folder: a clone may sit under a folder the postgres user cannot enter.
    const pg = await startEmbeddedPostgres({ dataDir: path.join(os.tmpdir(), `standpoint-test-pg-${process.pid}`) });
    globalThis.__standpointTestPg = pg;
    url = pg.url;
  }
  process.env.STANDPOINT_TEST_SERVER = url;
  await mkdir(path.resolve('.data'), { recursive: true });
  await writeFile(path.resolve('.data/test-server.json'), JSON.stringify({ url }));
}
