// The scaled form without Docker (owns: bringing it up and down): Debian's nginx in front of N
// Standpoint servers on one PostgreSQL, sharing docker/nginx/site.conf with docker compose; the
// upstream list is this environment's own include. `npm run topology -- --servers 3` brings it
// up and keeps it up until Ctrl-C; test/proxy.e2e-spec.ts drives the same shape.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SITE = path.join(ROOT, 'docker', 'nginx', 'site.conf');
const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

export interface Server {
  url: string;
  port: number;
  process: ChildProcess;
  output(): string;
}

export interface Topology {
  /** The proxy's address: what clients use. */
  url: string;
  servers: Server[];
  /** SIGKILLs one server (it stays down). */
  kill(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TopologyOptions {
  servers: number;
  databaseUrl: string;
  /** Where nginx's and the servers' files go. */
  dir: string;
  /** Extra environment for every server (API_KEYS, READ_ACCESS, RATE_LIMIT_PER_MINUTE…). */
  env?: Record<string, string>;
  proxyPort?: number;
}

export function nginxBinary(): string | undefined {
  return NGINX.find((p) => spawnSync(p, ['-v']).status === 0);
}

export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const nginx = nginxBinary();
  if (!nginx) throw new Error('nginx is not installed (apt-get install nginx)');
  await rm(options.dir, { recursive: true, force: true });
  await mkdir(path.join(options.dir, 'tmp'), { recursive: true });
  const ports = await Promise.all(Array.from({ length: options.servers }, freePort));
  // All at once, as a fleet starts: the migrations' advisory lock lets one migrate.
  const servers = await Promise.all(ports.map((port, i) => startServer(port, options, path.join(options.dir, `server-${i}`))));
  const proxyPort = options.proxyPort ?? (await freePort());
  await writeFile(path.join(options.dir, 'upstream.conf'), upstreamConf(ports));
  await writeFile(path.join(options.dir, 'nginx.conf'), nginxConf(options.dir, proxyPort));
  const proxy = spawn(nginx, ['-p', options.dir, '-c', path.join(options.dir, 'nginx.conf'), '-e', path.join(options.dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let proxyOutput = '';
  proxy.stdout!.on('data', (d) => (proxyOutput += d));
  proxy.stderr!.on('data', (d) => (proxyOutput += d));
  const url = `http://127.0.0.1:${proxyPort}`;
  await waitFor(async () => (await fetch(`${url}/health/live`).catch(() => undefined))?.status !== undefined, () => `nginx did not answer: ${proxyOutput}`);
  const stopServer = (s: Server, signal: NodeJS.Signals) =>
    new Promise<void>((done) => (s.process.exitCode !== null || s.process.signalCode !== null ? done() : (s.process.once('exit', () => done()), s.process.kill(signal))));
  return {
    url,
    servers,
    kill: (index) => stopServer(servers[index], 'SIGKILL'),
    stop: async () => {
      proxy.kill('SIGQUIT');
      await Promise.all(servers.map((s) => stopServer(s, 'SIGTERM')));
      if (proxy.exitCode === null) await new Promise((done) => proxy.once('exit', done));
    },
  };
}

function upstreamConf(ports: number[]): string {
  // Each client sticks to one server (by its address), so a server's rate limit is the client's;
  // a server that fails is left alone for 2 s, its clients going to the next one meanwhile.
  return `upstream standpoint {\n  hash $remote_addr consistent;\n${ports.map((p) => `  server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n')}\n  keepalive 16;\n}\n`;
}

function nginxConf(dir: string, port: number): string {
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `# Written by scripts/topology.ts: the local twin of docker/nginx/compose.conf.
${user}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  include ${dir}/upstream.conf;
  server {
    listen 127.0.0.1:${port};
    include ${SITE};
  }
}
`;
}

async function startServer(port: number, options: TopologyOptions, dataDir: string): Promise<Server> {
  await mkdir(dataDir, { recursive: true });
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: dataDir,
    // Only the proxy on this machine may say who the client is.
    TRUST_PROXY: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`server on port ${port} exited (${child.exitCode}): ${out}`);
      return /listening on/.test(out);
    },
    () => `server on port ${port} did not start: ${out}`,
    60_000,
  );
  return { url, port, process: child, output: () => out };
}

async function waitFor(ready: () => Promise<boolean>, failure: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write('npm run topology -- [--servers N] [--port P]\n  N servers (default 3) behind nginx on DATABASE_URL (required), until Ctrl-C.\n');
    return;
  }
  const value = (flag: string, fallback: number) => {
    const i = args.indexOf(flag);
    const n = i < 0 ? fallback : Number(args[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive whole number`);
    return n;
  };
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('set DATABASE_URL: the servers share one PostgreSQL');
  const topology = await startTopology({ servers: value('--servers', 3), databaseUrl, dir: path.join(ROOT, '.data', 'topology'), proxyPort: value('--port', 8080) });
  process.stdout.write(`Standpoint: ${topology.servers.length} servers behind nginx on ${topology.url} (Ctrl-C stops)\n`);
  const stop = () => void topology.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}
