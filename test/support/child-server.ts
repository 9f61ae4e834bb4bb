// A real server in its own process, for tests that kill it.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildServer {
  url: string;
  process: ChildProcess;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export function startChildServer(env: Record<string, string | undefined>): Promise<ChildServer> {
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete fullEnv[k];
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (chunk) => (out += chunk));
  proc.stderr!.on('data', (chunk) => (out += chunk));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match) {
        clearInterval(timer);
        resolve({
          url: match[1],
          process: proc,
          output: () => out,
          kill: (signal) => new Promise((done) => (proc.exitCode !== null || proc.signalCode !== null ? done(proc.exitCode) : (proc.once('exit', (code) => done(code)), proc.kill(signal)))),
        });
      }
    }, 20);
    proc.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`server exited (${code}): ${out}`));
    });
  });
}
