// Entry point: validated configuration, the server, and a clean stop on SIGINT/SIGTERM.
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig, loadDotEnv } from './config/config.js';
import { stopAllEmbeddedSync } from './database/embedded-postgres.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  // A .env in the working directory, when there is one; the real environment wins over it.
  const fromFile = loadDotEnv();
  const config = loadConfig();
  const server = await startServer(config);
  // Tests and benchmarks read the URL from this line: keep "Standpoint listening on <url>" first.
  process.stdout.write(`Standpoint listening on ${server.url} (docs at ${server.url}/docs; Node ${process.version})\n`);
  if (fromFile.length) new Logger('standpoint').log(`configuration from .env: ${fromFile.join(', ')}`);
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
