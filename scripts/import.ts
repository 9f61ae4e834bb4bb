// npm run import -- <file.ndjson|json> [--url http://127.0.0.1:3000] [--key KEY] [--batch 100] [--direct]
//
// Appends a history to a running Standpoint through POST /events/batch, idempotently: events
// without an id get one derived from their content, so importing the same file twice appends
// nothing the second time. A rejected batch appends none of its events; each rejection is
// reported with its reasons. --direct starts a server in-process on the configured database
// (DATABASE_URL, or the embedded one under DATA_DIR; do not use it while `npm start` runs there).
//
// It reads the NDJSON export (GET /events with Accept: application/x-ndjson) back as it is: the
// fields the server adds to a stored event (position, recordedAt, …) are left out of what it
// posts. Exit codes: 0 done, 1 a batch was rejected or the server could not be reached or
// refused the key, 2 a mistake in the arguments or the file.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SERVER_ADDED_FIELDS } from '../src/events/server-added-fields.js';

const USAGE = `Usage: npm run import -- <file> [options]

Appends the events in <file> to a Standpoint server, in all-or-nothing batches, idempotently.
<file> holds a JSON array of event envelopes, { "events": [...] }, or one envelope a line
(.ndjson/.jsonl, e.g. the export: GET /events with Accept: application/x-ndjson). The fields
a server adds to stored events are left out:
  ${SERVER_ADDED_FIELDS.join(', ')}.
An event without an id gets one derived from its content, so a second import appends nothing.

Options:
  --url URL     the server (default: $STANDPOINT_URL, else http://127.0.0.1:$PORT, port 3000)
  --key KEY     an editor or admin API key (default: $STANDPOINT_KEY)
  --batch N     events per batch, 1 to 1000 (default 100)
  --direct      start a server in-process on the configured database instead
                (DATABASE_URL or the embedded one under DATA_DIR; not while npm start runs there)
  -h, --help    show this help

Exit codes: 0 imported; 1 a batch was rejected, or the server could not be reached or refused
the key; 2 a mistake in the arguments or in the file.
`;

/** A mistake in the arguments or the file: said in one line (with a pointer to --help), exit 2. */
class UsageError extends Error {}
/** The import could not go on (server unreachable, key refused): said in one line, exit 1. */
class ImportFailure extends Error {}

type Event = Record<string, unknown>;

interface Options {
  file: string;
  url: string;
  key?: string;
  batch: number;
  direct: boolean;
}

function parseOptions(argv: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        batch: { type: 'string' },
        direct: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // node's messages name the option ("Unknown option '--bach'", "Option '--batch <value>' argument missing").
    throw new UsageError(String((error as Error).message).replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UsageError('no file given: npm run import -- <file.json|file.ndjson>');
  if (positionals.length > 1) throw new UsageError(`one file at a time (got ${positionals.map((p) => `"${p}"`).join(', ')})`);
  let batch = 100;
  if (values.batch !== undefined) {
    if (!/^\d+$/.test(values.batch.trim()) || Number(values.batch) < 1 || Number(values.batch) > 1000) {
      throw new UsageError(`--batch must be a whole number from 1 to 1000 (got "${values.batch}")`);
    }
    batch = Number(values.batch);
  }
  const url = values.url ?? process.env.STANDPOINT_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  const from = values.url !== undefined ? '--url' : process.env.STANDPOINT_URL !== undefined ? 'STANDPOINT_URL' : 'PORT';
  let parsedUrl: URL | undefined;
  try {
    parsedUrl = new URL(url);
  } catch {
    /* said below */
  }
  if (!parsedUrl || !/^https?:$/.test(parsedUrl.protocol)) throw new UsageError(`${from} must be an http:// or https:// URL (got "${url}")`);
  const key = values.key ?? process.env.STANDPOINT_KEY;
  if (values.key !== undefined && !values.key.trim()) throw new UsageError('--key is empty');
  return { file: positionals[0], url: url.replace(/\/+$/, ''), key, batch, direct: values.direct };
}

/** A stable UUID (v4 layout) from the event's content, so a re-import is a no-op. */
function contentId(event: unknown, index: number): string {
  const hex = createHash('sha256').update(`${index}:${JSON.stringify(event)}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The envelope as sent: what the server added to a stored event (an export's lines) left out. */
function envelope(event: Event, index: number): Event {
  const sent: Event = {};
  for (const [name, value] of Object.entries(event)) if (!SERVER_ADDED_FIELDS.includes(name as never)) sent[name] = value;
  sent.id ??= contentId(sent, index);
  return sent;
}

function isEvent(value: unknown): value is Event {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where the events come from: how many there are, and the events one at a time. */
interface History {
  total: number;
  events(): AsyncIterable<Event>;
}

function isNdjson(file: string): boolean {
  return /\.(ndjson|jsonl)$/i.test(file);
}

async function openHistory(file: string): Promise<History> {
  try {
    if (!(await stat(file)).isFile()) throw new UsageError(`${file} is not a file`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file} (${code ?? (error as Error).message})`);
  }
  if (isNdjson(file)) return ndjsonHistory(file);
  const text = await readFile(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // Not one JSON document: one a line (an export saved under another name)?
    if (text.trimStart().startsWith('{') && text.trim().includes('\n')) return ndjsonHistory(file);
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const list = Array.isArray(parsed) ? parsed : isEvent(parsed) ? parsed.events : undefined;
  if (!Array.isArray(list)) throw new UsageError(`${file}: expected a JSON array of events or { "events": [...] }`);
  list.forEach((e, i) => {
    if (!isEvent(e)) throw new UsageError(`${file}: event ${i} is not a JSON object`);
  });
  return {
    total: list.length,
    async *events() {
      yield* list as Event[];
    },
  };
}

/**
 * One envelope a line, read as it is imported (an export may be larger than memory should hold).
 * Every line is checked before anything is posted: a mistake on line 5000 appends nothing.
 */
async function ndjsonHistory(file: string): Promise<History> {
  const lines = () => createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const parseLine = (line: string, n: number): Event => {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new UsageError(`${file}:${n}: not valid JSON`);
    }
    if (!isEvent(event)) throw new UsageError(`${file}:${n}: not a JSON object (one event envelope a line)`);
    return event;
  };
  let total = 0;
  let n = 0;
  for await (const line of lines()) {
    n++;
    if (!line.trim()) continue;
    parseLine(line, n);
    total++;
  }
  return {
    total,
    async *events() {
      let n = 0;
      for await (const line of lines()) {
        n++;
        if (line.trim()) yield parseLine(line, n);
      }
    },
  };
}

/** "ECONNREFUSED", "ENOTFOUND" and the like, from a failed request. */
function networkReason(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] };
  return e?.code ?? e?.errors?.[0]?.code ?? e?.message ?? String(error);
}

/** The server's answer to a POST: its status and its JSON body (empty when it sent none). */
interface Answer {
  status: number;
  statusText: string;
  body: { detail?: string; errors?: unknown };
}

/**
 * POSTs JSON with node:http, not fetch: fetch refuses the ports on the Fetch standard's "bad
 * port" list (6000, 6665-6669, …), on which a server may well listen.
 */
function postJson(url: string, headers: Record<string, string>, payload: string): Promise<Answer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        let body: Answer['body'] = {};
        try {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (parsed && typeof parsed === 'object') body = parsed;
        } catch {
          /* not JSON: the status says enough */
        }
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

interface Rejection {
  from: number;
  to: number;
  status: number;
  detail: string;
  errors?: unknown;
}

class Importer {
  appended = 0;
  already = 0;
  done = 0;
  readonly rejected: Rejection[] = [];

  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {}

  /** Posts one batch; one too large for the server's body limit is halved until it fits. */
  async post(batch: Event[], from: number): Promise<void> {
    let response: Answer;
    try {
      response = await postJson(`${this.url}/events/batch`, { authorization: `Bearer ${this.key}` }, JSON.stringify({ events: batch }));
    } catch (error) {
      const where = this.done ? ` after ${this.done} events (${this.appended} appended)` : '';
      throw new ImportFailure(`cannot reach the server at ${this.url} (${networkReason(error)})${where}; is it running? Set --url or STANDPOINT_URL`);
    }
    const { body } = response;
    if (response.status === 413 && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await this.post(batch.slice(0, half), from);
      await this.post(batch.slice(half), from + half);
      return;
    }
    if (response.status === 401 || response.status === 403) {
      throw new ImportFailure(`the server refused the key (${response.status}): ${body.detail ?? response.statusText}`);
    }
    if (response.status === 404 || response.status === 405) {
      throw new ImportFailure(`${this.url} has no POST /events/batch (${response.status}); is --url a Standpoint server?`);
    }
    if (response.status === 201) this.appended += batch.length;
    else if (response.status === 200) this.already += batch.length;
    else this.rejected.push({ from, to: from + batch.length - 1, status: response.status, detail: body.detail ?? response.statusText, errors: body.errors });
    this.done += batch.length;
  }

  summary(total: number): string {
    return `imported ${this.done}/${total}: ${this.appended} appended, ${this.already} already stored, ${this.rejected.length} batch(es) rejected`;
  }
}

async function run(options: Options): Promise<number> {
  const history = await openHistory(options.file);
  let { url, key } = options;
  let stop = async () => {};
  if (options.direct) {
    const { loadConfig } = await import('../src/config/config.js');
    const { startServer } = await import('../src/server.js');
    const secret = `import-${createHash('sha256').update(String(Math.random())).digest('hex')}`;
    try {
      const server = await startServer({ ...loadConfig(), PORT: 0, HOST: '127.0.0.1', API_KEYS: [{ name: 'import', role: 'admin', secret }], LOG_LEVEL: 'warn' });
      url = server.url;
      key = secret;
      stop = () => server.close();
    } catch (error) {
      throw new ImportFailure(`could not start a server for --direct: ${(error as Error)?.message ?? error}`);
    }
  }
  if (!key) throw new UsageError('an API key is needed: --key KEY or STANDPOINT_KEY (the admin key printed on first start)');

  const importer = new Importer(url, key);
  // The progress line is for a person watching; a log (a pipe, a file) gets the summary only.
  const tty = Boolean(process.stdout.isTTY);
  try {
    let batch: Event[] = [];
    let index = 0;
    for await (const event of history.events()) {
      batch.push(envelope(event, index++));
      if (batch.length < options.batch) continue;
      await importer.post(batch, index - batch.length);
      batch = [];
      if (tty) process.stdout.write(`\r${importer.summary(history.total)}`);
    }
    if (batch.length) await importer.post(batch, index - batch.length);
  } finally {
    if (tty && importer.done) process.stdout.write('\r\x1b[K');
    await stop();
  }
  process.stdout.write(`${importer.summary(history.total)}\n`);
  for (const r of importer.rejected) {
    process.stdout.write(`rejected events ${r.from}..${r.to} (${r.status}): ${r.detail}\n`);
    if (r.errors) process.stdout.write(`  ${JSON.stringify(r.errors)}\n`);
  }
  return importer.rejected.length ? 1 : 0;
}

async function main(): Promise<void> {
  // Output piped to something that stops reading (`| head`): the rest of it is dropped, the import goes on.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  try {
    const options = parseOptions(process.argv.slice(2));
    if (options === 'help') {
      process.stdout.write(USAGE);
      return;
    }
    process.exitCode = await run(options);
  } catch (error) {
    // One line, no stack: what went wrong and, for a usage mistake, where to look.
    if (error instanceof UsageError) {
      process.stderr.write(`import: ${error.message}\nTry "npm run import -- --help".\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`import failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  }
}

await main();
