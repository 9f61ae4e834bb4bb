// Entry point: validated configuration, the server, and a clean stop on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from './config/config.js';
import { stopAllEmbeddedSync } from './database/embedded-postgres.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  const config = loadConfig();
  // Benchmarks compare the API with a trivial endpoint served by the same process (bench/http.ts).
  const server = await startServer(config, undefined, { benchBaseline: process.env.STANDPOINT_BENCH_BASELINE === '1' });
  process.stdout.write(`Standpoint listening on ${server.url} (docs at ${server.url}/docs)\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

process.on('exit', stopAllEmbeddedSync);
main().catch((error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error?.stack ?? String(error))}\n`);
  stopAllEmbeddedSync();
  process.exit(1);
});
