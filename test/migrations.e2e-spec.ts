// Servers started at once on a fresh database migrate it once: the migrations run under a
// PostgreSQL advisory lock (TypeORM takes none), so every server comes up.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { MIGRATIONS } from '../src/database/database.js';
import { startServer, type RunningServer } from '../src/server.js';
import { EDITOR_KEY, freshDatabase } from './support/test-server.js';

describe('three servers starting at once on a fresh database', () => {
  it('all come up, and each migration ran once', async () => {
    const db = await freshDatabase();
    const dirs = [0, 1, 2].map((i) => path.resolve(`.data/migrate-${process.pid}-${i}`));
    const servers: RunningServer[] = [];
    try {
      await Promise.all(dirs.map((d) => mkdir(d, { recursive: true })));
      const started = await Promise.allSettled(
        dirs.map((dir) => startServer(loadConfig({ PORT: '0', DATABASE_URL: db.url, DATA_DIR: dir, API_KEYS: `editor:editor:${EDITOR_KEY}`, LOG_LEVEL: 'silent' }), () => {})),
      );
      for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
      expect(started.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const [{ n, distinct }] = await servers[0].app.get((await import('typeorm')).DataSource).query(`SELECT count(*)::int AS n, count(DISTINCT name)::int AS distinct FROM migrations`);
      expect({ n, distinct }).toEqual({ n: MIGRATIONS.length, distinct: MIGRATIONS.length });
      for (const s of servers) expect((await fetch(`${s.url}/actors`)).status).toBe(200);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await db.drop();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    }
  }, 60_000);
});
