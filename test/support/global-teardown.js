import { rm } from 'node:fs/promises';

export default async function globalTeardown() {
  const pg = globalThis.__standpointTestPg;
  if (pg) {
    await pg.stop();
    await rm(pg.dataDir, { recursive: true, force: true });
  }
}
