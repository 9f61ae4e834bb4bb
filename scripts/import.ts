// npm run import -- <file.ndjson|json> [--url http://127.0.0.1:3000] [--key KEY] [--batch 100] [--direct]
//
// Appends a history to a running Standpoint through POST /events/batch, idempotently: events
// without an id get one derived from their content, so importing the same file twice appends
// nothing the second time. A rejected batch appends none of its events; each rejection is
// reported with its reasons. --direct starts a server in-process on the configured database
// (DATABASE_URL, or the embedded one under DATA_DIR; do not use it while `npm start` runs there).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    key: { type: 'string' },
    batch: { type: 'string', default: '100' },
    direct: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** A stable UUID (v4 layout) from the event's content, so a re-import is a no-op. */
function contentId(event: unknown, index: number): string {
  const hex = createHash('sha256').update(`${index}:${JSON.stringify(event)}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

async function readHistory(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  if (file.endsWith('.ndjson') || file.endsWith('.jsonl')) {
    return text
      .split('\n')
      .map((line, i) => [line.trim(), i] as const)
      .filter(([line]) => line)
      .map(([line, i]) => {
        try {
          return JSON.parse(line);
        } catch {
          return fail(`${file}:${i + 1}: not valid JSON`);
        }
      });
  }
  const parsed = JSON.parse(text);
  const events = Array.isArray(parsed) ? parsed : parsed?.events;
  if (!Array.isArray(events)) fail(`${file}: expected a JSON array of events or { "events": [...] }`);
  return events;
}

async function main(): Promise<void> {
  const file = positionals[0] ?? fail('usage: npm run import -- <file.ndjson|json> [--url URL] [--key KEY] [--batch N] [--direct]');
  const batchSize = Math.max(1, Math.min(1000, Number(values.batch)));
  const events = (await readHistory(file)).map((e, i) => ({ ...e, id: e.id ?? contentId(e, i) }));

  let url = values.url ?? process.env.STANDPOINT_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  let key = values.key ?? process.env.STANDPOINT_KEY;
  let stop = async () => {};
  if (values.direct) {
    const { loadConfig } = await import('../src/config/config.js');
    const { startServer } = await import('../src/server.js');
    const secret = `import-${createHash('sha256').update(String(Math.random())).digest('hex')}`;
    const server = await startServer({ ...loadConfig(), PORT: 0, HOST: '127.0.0.1', API_KEYS: [{ name: 'import', role: 'admin', secret }], LOG_LEVEL: 'warn' });
    url = server.url;
    key = secret;
    stop = () => server.close();
  }
  if (!key) fail('an API key is needed: --key KEY or STANDPOINT_KEY (the admin key printed on first start)');

  let appended = 0;
  let already = 0;
  const rejected: { from: number; to: number; status: number; detail: string; errors?: unknown }[] = [];
  try {
    for (let from = 0; from < events.length; from += batchSize) {
      const batch = events.slice(from, from + batchSize);
      const response = await fetch(`${url}/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ events: batch }),
      });
      const body = (await response.json().catch(() => ({}))) as { detail?: string; errors?: unknown };
      if (response.status === 201) appended += batch.length;
      else if (response.status === 200) already += batch.length;
      else rejected.push({ from, to: from + batch.length - 1, status: response.status, detail: body.detail ?? response.statusText, errors: body.errors });
      process.stdout.write(`\rimported ${from + batch.length}/${events.length}: ${appended} appended, ${already} already stored, ${rejected.length} batch(es) rejected`);
    }
  } finally {
    process.stdout.write('\n');
    await stop();
  }
  for (const r of rejected) {
    process.stdout.write(`rejected events ${r.from}..${r.to} (${r.status}): ${r.detail}\n`);
    if (r.errors) process.stdout.write(`  ${JSON.stringify(r.errors)}\n`);
  }
  process.exitCode = rejected.length ? 1 : 0;
}

main().catch((error) => fail(`import failed: ${error?.message ?? error}`));
