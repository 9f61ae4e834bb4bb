// The embedded PostgreSQL: nobody gets in without the secret (new clusters and clusters made by
// earlier versions with trust authentication), a postmaster that dies is started again, and a
// wrong DATABASE_URL ends in one clear sentence. These start their own clusters, whatever
// DATABASE_URL the run uses.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readlink, rm, stat, chown } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { createScratchDatabase, DatabaseUrlError } from '../src/database/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres.js';
import { startServer, type RunningServer } from '../src/server.js';
import { statement } from './support/envelopes.js';
import { EDITOR_KEY } from './support/test-server.js';
import { sleep, until } from './support/until.js';

const execFileAsync = promisify(execFile);
// Under the system temp folder, like the run's own cluster: a clone may sit where the postgres user cannot enter.
const tempDir = (name: string) => path.join(os.tmpdir(), `standpoint-${name}-${process.pid}-${randomBytes(3).toString('hex')}`);
const isRoot = process.getuid?.() === 0;


/** Connects, runs `sql`, disconnects; rejects if PostgreSQL does not let us in. */
async function query(config: pg.ClientConfig | string, sql: string): Promise<any[]> {
  const client = new pg.Client(typeof config === 'string' ? { connectionString: config, connectionTimeoutMillis: 5000 } : { connectionTimeoutMillis: 5000, ...config });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const postmasterPid = async (pgDataDir: string) => Number((await readFile(path.join(pgDataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
const nonCommentLines = (text: string) => text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);

/** Runs `cmd` as the user PostgreSQL runs as (postgres when we are root). */
function runAsPostgres(cmd: string, args: string[], ids: { uid?: number; gid?: number }, input?: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: os.tmpdir(), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...ids });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    if (input !== undefined) child.stdin!.end(input);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

async function postgresIds(): Promise<{ uid?: number; gid?: number }> {
  if (!isRoot) return {};
  const id = async (flag: string) => Number((await execFileAsync('id', [flag, 'postgres'])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('the embedded PostgreSQL takes no one in without the secret', () => {
  const dir = tempDir('auth');
  const pgDir = path.join(dir, 'pg');
  const secretFile = path.join(dir, 'pg-secret');
  let handle: EmbeddedPostgresHandle;

  beforeAll(async () => {
    handle = await startEmbeddedPostgres({ dataDir: pgDir, secretFile });
  });
  afterAll(async () => {
    await handle?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a local connection without the secret or with a wrong one, and lets the secret in', async () => {
    const as = { host: '127.0.0.1', port: handle.port, user: 'postgres', database: 'postgres' };
    await expect(query(as, 'SELECT 1')).rejects.toThrow(/password/);
    await expect(query({ ...as, password: 'not-the-secret' }, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
    // The probe's attack, with the secret-less login it used, goes nowhere; with the secret it is the server's own superuser.
    await expect(query(as, 'SET session_replication_role = replica')).rejects.toThrow();
    const secret = (await readFile(secretFile, 'utf8')).trim();
    expect(decodeURIComponent(new URL(handle.url).password)).toBe(secret);
    expect(await query({ ...as, password: secret }, 'SELECT current_user AS who')).toEqual([{ who: 'postgres' }]);
    expect(await query(handle.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('the URL with the password works for scratch databases (what the test servers and benchmarks use)', async () => {
    const scratch = await createScratchDatabase(handle.url, 'standpoint_auth');
    expect(new URL(scratch.url).password).toBe(new URL(handle.url).password);
    expect(await query(scratch.url, 'SELECT current_database() AS db')).toEqual([{ db: new URL(scratch.url).pathname.slice(1) }]);
    await scratch.drop();
    await expect(query(scratch.url, 'SELECT 1')).rejects.toMatchObject({ code: '3D000' });
  });

  it('keeps the secret in a file only the server user reads (0600), and pg_hba.conf has no trust line', async () => {
    const st = await stat(secretFile);
    expect((st.mode & 0o777).toString(8)).toBe('600');
    expect(st.uid).toBe(process.getuid!());
    const hba = await readFile(path.join(pgDir, 'pg_hba.conf'), 'utf8');
    expect(nonCommentLines(hba).length).toBeGreaterThan(0);
    for (const line of nonCommentLines(hba)) {
      expect(line).not.toMatch(/\btrust\b/);
      expect(line).toMatch(/scram-sha-256$/);
    }
    // What the server actually loaded, too.
    const rules = await query(handle.url, 'SELECT DISTINCT auth_method FROM pg_hba_file_rules');
    expect(rules).toEqual([{ auth_method: 'scram-sha-256' }]);
    // The port is not on the postmaster's command line (ps).
    const cmdline = (await readFile(`/proc/${await postmasterPid(pgDir)}/cmdline`, 'utf8')).split('\0');
    expect(cmdline).not.toContain('-p');
    expect(cmdline).not.toContain(String(handle.port));
  });

  it('default secret location (no secretFile): a 0700 folder of the server user that other users cannot read', async () => {
    const other = tempDir('auth-default');
    const h = await startEmbeddedPostgres({ dataDir: other });
    try {
      expect(h.secretFile).toBe(path.join(await import('node:fs/promises').then((fs) => fs.realpath(other)), 'standpoint-auth', 'secret'));
      const [file, folder] = [await stat(h.secretFile), await stat(path.dirname(h.secretFile))];
      expect((file.mode & 0o777).toString(8)).toBe('600');
      expect((folder.mode & 0o777).toString(8)).toBe('700');
      expect([file.uid, folder.uid]).toEqual([process.getuid!(), process.getuid!()]);
      if (isRoot) {
        // Neither nobody (the probe's account) nor postgres (PostgreSQL's, owner of the data dir) reads it.
        for (const user of ['nobody', 'postgres']) {
          const ids = { uid: Number((await execFileAsync('id', ['-u', user])).stdout), gid: Number((await execFileAsync('id', ['-g', user])).stdout) };
          const r = await runAsPostgres('cat', [h.secretFile], ids);
          expect(r.code).not.toBe(0);
          expect(r.output).toMatch(/Permission denied/);
        }
      }
      expect(await query(h.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await h.stop();
      await rm(other, { recursive: true, force: true });
    }
  });

  it('a lost secret file: a new secret is generated and set on the next start; the data stays', async () => {
    await query(handle.url, 'CREATE TABLE IF NOT EXISTS lost_secret (x text); INSERT INTO lost_secret VALUES ($$kept$$)');
    const before = (await readFile(secretFile, 'utf8')).trim();
    await handle.stop();
    await rm(secretFile);
    handle = await startEmbeddedPostgres({ dataDir: pgDir, secretFile });
    const after = (await readFile(secretFile, 'utf8')).trim();
    expect(after).not.toBe(before);
    await expect(query({ host: '127.0.0.1', port: handle.port, user: 'postgres', database: 'postgres', password: before }, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
    expect(await query(handle.url, 'SELECT x FROM lost_secret')).toEqual([{ x: 'kept' }]);
  });

  it('a postgres password changed behind its back is set back to the secret on the next start', async () => {
    await query(handle.url, "ALTER ROLE postgres PASSWORD 'changed-by-hand'");
    await handle.stop();
    handle = await startEmbeddedPostgres({ dataDir: pgDir, secretFile });
    expect(await query(handle.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await expect(query({ host: '127.0.0.1', port: handle.port, user: 'postgres', database: 'postgres', password: 'changed-by-hand' }, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
  });

  it('a postmaster killed under the handle is started again on the same port; stop() then stops it for good', async () => {
    const pid = await postmasterPid(pgDir);
    handle.kill();
    await until('the postmaster to be back', async () => ((await postmasterPid(pgDir).catch(() => pid)) !== pid && (await query(handle.url, 'SELECT 1 AS one'))[0].one === 1 ? true : undefined));
    await handle.stop();
    await expect(stat(path.join(pgDir, 'postmaster.pid'))).rejects.toThrow();
    await expect(query(handle.url, 'SELECT 1')).rejects.toThrow();
  });

  it('a second start on the same data dir takes the cluster over, and the first one does not fight back', async () => {
    await handle.stop();
    const first = await startEmbeddedPostgres({ dataDir: pgDir, secretFile });
    handle = await startEmbeddedPostgres({ dataDir: pgDir, secretFile }); // stops first's postmaster as stale
    const pid = await postmasterPid(pgDir);
    await sleep(2000); // first's restart would have stopped this one by now
    expect(await postmasterPid(pgDir)).toBe(pid);
    expect(await query(handle.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await first.stop();
    expect(await query(handle.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('stop() while a killed postmaster is being restarted ends with none running', async () => {
    await handle.stop();
    handle = await startEmbeddedPostgres({ dataDir: pgDir, secretFile });
    handle.kill();
    await sleep(50);
    await handle.stop();
    await sleep(1500); // a restart that was not cancelled would be up by now
    await expect(query(handle.url, 'SELECT 1')).rejects.toThrow();
    // postmaster.pid may still name the killed postmaster (SIGKILL leaves it behind): no such process, though.
    const pid = await postmasterPid(pgDir).catch(() => undefined);
    if (pid !== undefined) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});

describe('a cluster made by an earlier version (initdb --auth=trust) is converted on start', () => {
  const dir = tempDir('trust');
  const pgDir = path.join(dir, 'pg');
  const secretFile = path.join(dir, 'pg-secret');
  let handle: EmbeddedPostgresHandle | undefined;

  afterAll(async () => {
    await handle?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sets a generated password before opening the port, rewrites pg_hba.conf and keeps the data', async () => {
    // The binaries this module runs: start (and stop) a cluster once to find them.
    const scout = tempDir('scout');
    const h = await startEmbeddedPostgres({ dataDir: scout });
    const bin = path.dirname(await readlink(`/proc/${await postmasterPid(h.dataDir)}/exe`));
    await h.stop();
    await rm(scout, { recursive: true, force: true });

    // What earlier versions did: initdb --auth=trust, and the app's data in it.
    const ids = await postgresIds();
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await mkdir(pgDir, { mode: 0o700 });
    if (ids.uid !== undefined) await chown(pgDir, ids.uid, ids.gid!);
    const init = await runAsPostgres(path.join(bin, 'initdb'), ['-D', pgDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'], ids);
    expect(init.output && init).toMatchObject({ code: 0 });
    expect(nonCommentLines(await readFile(path.join(pgDir, 'pg_hba.conf'), 'utf8')).some((l) => /\btrust$/.test(l))).toBe(true);
    const seed = await runAsPostgres(
      path.join(bin, 'postgres'),
      ['--single', '-D', pgDir, '-c', 'exit_on_error=on', 'postgres'],
      ids,
      "CREATE TABLE kept (note text);\nINSERT INTO kept VALUES ('written before the upgrade');\n",
    );
    expect(seed).toMatchObject({ code: 0 });

    handle = await startEmbeddedPostgres({ dataDir: pgDir, secretFile });
    const hba = await readFile(path.join(pgDir, 'pg_hba.conf'), 'utf8');
    expect(nonCommentLines(hba).filter((l) => /\btrust\b/.test(l))).toEqual([]);
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const as = { host: '127.0.0.1', port: handle.port, user: 'postgres', database: 'postgres' };
    await expect(query(as, 'SELECT 1')).rejects.toThrow(/password/);
    expect(await query(handle.url, 'SELECT note FROM kept')).toEqual([{ note: 'written before the upgrade' }]);
    expect(await query(handle.url, 'SELECT DISTINCT auth_method FROM pg_hba_file_rules')).toEqual([{ auth_method: 'scram-sha-256' }]);

    // And the next start is an ordinary one: same secret, same data.
    const secret = await readFile(secretFile, 'utf8');
    await handle.stop();
    handle = await startEmbeddedPostgres({ dataDir: pgDir, secretFile });
    expect(await readFile(secretFile, 'utf8')).toBe(secret);
    expect(await query(handle.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }]);
  });
});

describe('a PostgreSQL that dies under the running server is started again', () => {
  const dataDir = tempDir('pg-crash');
  let server: RunningServer | undefined;

  afterAll(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers reads (and writes) again within ~30 s after the postmaster is SIGKILLed', async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, API_KEYS: `editor:editor:${EDITOR_KEY}`, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' });
    expect(config.DATABASE_URL).toBeUndefined();
    server = await startServer(config, () => {});
    const url = server.url;
    expect((await fetch(`${url}/actors`)).status).toBe(200);
    // The app connects with the secret, kept in DATA_DIR/pg-secret (0600).
    const secret = (await readFile(path.join(dataDir, 'pg-secret'), 'utf8')).trim();
    expect(decodeURIComponent(new URL(server.databaseUrl).password)).toBe(secret);
    expect((await stat(path.join(dataDir, 'pg-secret'))).mode & 0o777).toBe(0o600);

    const pgDir = path.join(dataDir, 'pg');
    const pid = await postmasterPid(pgDir);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await until('GET /actors to answer 200 again', async () => ((await fetch(`${url}/actors`, { signal: AbortSignal.timeout(5000) })).status === 200 && (await postmasterPid(pgDir)) !== pid ? true : undefined), 30_000);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    const write = await until('a write to succeed', async () => {
      const r = await fetch(`${url}/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${EDITOR_KEY}` }, body: JSON.stringify(statement()) });
      return r.status === 201 ? r : undefined;
    });
    expect(write.status).toBe(201);
    // The projector (its own connection and lock) picks up again too.
    const db = server.app.get(DataSource);
    await until('the projections to catch up with the log', async () => {
      const [{ head }] = await db.query('SELECT coalesce(max(position), 0)::bigint AS head FROM events');
      const [{ p, n }] = await db.query('SELECT coalesce(min(active_checkpoint), 0)::bigint AS p, count(*)::int AS n FROM projection_state');
      return n > 0 && Number(head) > 0 && Number(p) >= Number(head) ? true : undefined;
    });
  });
});

describe('a wrong DATABASE_URL', () => {
  const dir = tempDir('wrong-url');
  let handle: EmbeddedPostgresHandle;

  beforeAll(async () => {
    handle = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), secretFile: path.join(dir, 'pg-secret') });
  });
  afterAll(async () => {
    await handle?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const attempt = async (databaseUrl: string) => {
    const config = loadConfig({ PORT: '0', DATABASE_URL: databaseUrl, DATA_DIR: path.join(dir, 'app'), API_KEYS: `editor:editor:${EDITOR_KEY}`, LOG_LEVEL: 'silent' });
    const error = await startServer(config, () => {}).then(
      async (server) => {
        await server.close();
        throw new Error('the server started');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseUrlError);
    expect(error).toBeInstanceOf(ConfigError); // what main.ts prints without a stack
    const message = (error as Error).message;
    expect(message).toMatch(/^Cannot use the PostgreSQL named by DATABASE_URL \(/);
    expect(message).not.toMatch(/\n/);
    return message;
  };

  it('names the variable, masks the password and says why: wrong password', async () => {
    const message = await attempt(`postgres://postgres:wrong-password-42@127.0.0.1:${handle.port}/postgres`);
    expect(message).toContain(`postgres://postgres:*****@127.0.0.1:${handle.port}/postgres`);
    expect(message).not.toContain('wrong-password-42');
    expect(message).toMatch(/password authentication failed for user "postgres"/);
  });

  it('no password where one is needed', async () => {
    expect(await attempt(`postgres://postgres@127.0.0.1:${handle.port}/postgres`)).toMatch(/asks for a password and the URL has none/);
  });

  it('a database that does not exist', async () => {
    const url = new URL(handle.url);
    url.pathname = '/no_such_database';
    const message = await attempt(url.toString());
    expect(message).toMatch(/database "no_such_database" does not exist/);
    expect(message).not.toContain(new URL(handle.url).password);
  });

  it('nothing listening there', async () => {
    const port = await closedPort();
    expect(await attempt(`postgres://someone:pw-that-must-not-show@127.0.0.1:${port}/db`)).toMatch(new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}.*Is PostgreSQL running`));
  });

  it('npm start (src/main.ts) prints that one paragraph, no stack trace, and exits 1', async () => {
    const databaseUrl = `postgres://postgres:wrong-password-42@127.0.0.1:${handle.port}/postgres`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DATABASE_URL: databaseUrl, DATA_DIR: path.join(dir, 'main'), API_KEYS: `editor:editor:${EDITOR_KEY}`, LOG_LEVEL: 'warn' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^Cannot use the PostgreSQL named by DATABASE_URL \(postgres:\/\/postgres:\*\*\*\*\*@127\.0\.0\.1:\d+\/postgres\): password authentication failed/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr + stdout).not.toMatch(/^\s+at /m);
    expect(stderr + stdout).not.toContain('wrong-password-42');
  });
});
