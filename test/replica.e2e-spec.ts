// Reads from a real PostgreSQL streaming replica: a primary and a hot standby made with
// Debian's PostgreSQL binaries (initdb, pg_basebackup -R), since the machine's own server takes
// no replication connections. Writes and the projector go to the primary, reads to the replica;
// `minPosition` makes a client read its own writes, waiting while the replica catches up and
// answering 503 with Retry-After when it falls too far behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { statement } from './support/envelopes.js';
import { TestApp } from './support/test-server.js';

const BIN = ['/usr/lib/postgresql'].flatMap((root) => (existsSync(root) ? readdirSync(root).sort().reverse().map((v) => path.join(root, v, 'bin')) : [])).find((dir) => existsSync(path.join(dir, 'pg_basebackup')));
const suite = BIN ? describe : describe.skip;
if (!BIN) console.warn('replica.e2e-spec: no Debian PostgreSQL binaries (apt-get install postgresql)');

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user. */
function run(program: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};
  const result = spawnSync(path.join(BIN!, program), args, { ...ids, encoding: 'utf8', cwd: os.tmpdir() });
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')}: ${result.stderr || result.stdout}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

suite('reads from a streaming replica', () => {
  const dir = path.join(os.tmpdir(), `standpoint-replica-${process.pid}`);
  const primaryDir = path.join(dir, 'primary');
  const replicaDir = path.join(dir, 'replica');
  let primaryPort = 0;
  let replicaPort = 0;
  let app: TestApp;
  let replica: pg.Client;

  beforeAll(async () => {
    [primaryPort, replicaPort] = [await freePort(), await freePort()];
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o777);
    // A throwaway pair on loopback with random ports, for this test only.
    run('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
    await appendFile(path.join(primaryDir, 'postgresql.conf'), `\nlisten_addresses = '127.0.0.1'\nport = ${primaryPort}\nunix_socket_directories = ''\nwal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n`);
    await writeFile(path.join(primaryDir, 'pg_hba.conf'), 'host all postgres 127.0.0.1/32 trust\nhost replication postgres 127.0.0.1/32 trust\n');
    run('pg_ctl', ['-D', primaryDir, '-l', path.join(dir, 'primary.log'), '-w', 'start']);
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream']);
    await appendFile(path.join(replicaDir, 'postgresql.conf'), `\nport = ${replicaPort}\n`);
    run('pg_ctl', ['-D', replicaDir, '-l', path.join(dir, 'replica.log'), '-w', 'start']);

    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${primaryPort}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE standpoint');
    await admin.end();
    app = await TestApp.start(
      { READ_DATABASE_URL: `postgres://postgres@127.0.0.1:${replicaPort}/standpoint`, READ_WAIT_MS: '1500' },
      { url: `postgres://postgres@127.0.0.1:${primaryPort}/standpoint`, drop: async () => {} },
    );
    replica = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${replicaPort}/standpoint` });
    await replica.connect();
  }, 120_000);

  afterAll(async () => {
    await replica?.end().catch(() => undefined);
    await app?.stop();
    for (const d of [replicaDir, primaryDir]) if (existsSync(d)) spawnSync(path.join(BIN!, 'pg_ctl'), ['-D', d, '-m', 'fast', '-w', 'stop'], process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()) } : {});
    await rm(dir, { recursive: true, force: true });
  });

  it('reads from the replica, and a client reads its own write with minPosition', async () => {
    const [{ in_recovery }] = (await replica.query('SELECT pg_is_in_recovery() AS in_recovery')).rows;
    expect(in_recovery).toBe(true);
    const posted = await app.post('/events', statement('qatar', 'negotiations', 'supports'));
    expect(posted.status).toBe(201);
    const position = posted.body.position;
    const read = await app.get(`/positions/qatar?minPosition=${position}`);
    expect(read.status).toBe(200);
    expect(read.body.stances.negotiations.stance).toBe('supports');
    expect((await app.get(`/events/${posted.body.id}?minPosition=${position}`)).status).toBe(200);
  });

  it('a replica that falls behind answers 503 with Retry-After past the bound, and catches up', async () => {
    await replica.query('SELECT pg_wal_replay_pause()');
    try {
      const posted = await app.post('/events', statement('egypt', 'negotiations', 'supports'));
      expect(posted.status).toBe(201);
      const behind = await app.get(`/positions/egypt?minPosition=${posted.body.position}`);
      expect(behind.status).toBe(503);
      expect(behind.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(behind.body).toMatchObject({ minPosition: posted.body.position });
      expect((await app.get(`/events/${posted.body.id}?minPosition=${posted.body.position}`)).status).toBe(503);
      // Without minPosition the replica answers what it has.
      expect((await app.get('/positions/egypt')).status).toBe(200);
      await replica.query('SELECT pg_wal_replay_resume()');
      const caughtUp = await app.get(`/positions/egypt?minPosition=${posted.body.position}`);
      expect(caughtUp.status).toBe(200);
      expect(caughtUp.body.stances.negotiations.stance).toBe('supports');
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
    }
  });

  it('refuses a minPosition that is not a position', async () => {
    const reply = await app.get('/positions?minPosition=latest');
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('minPosition');
  });
});
