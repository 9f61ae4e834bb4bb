// What an operator runs it with: health probes, Prometheus metrics, compressed answers and the
// request log, on the real server.
import http from 'node:http';
import zlib from 'node:zlib';
import pg from 'pg';
import { statement } from './support/envelopes.js';
import { fillDisk, freeDisk } from './support/full-disk.js';
import { openStream } from './support/sse.js';
import { ADMIN_KEY, EDITOR_KEY, TestApp, testServerUrl } from './support/test-server.js';
import { until } from './support/until.js';

/** A GET answered as it came over the wire: compressed bytes left compressed. */
function raw(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string | Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

function decode(encoding: string | undefined, body: Buffer): string {
  if (encoding === 'gzip') return zlib.gunzipSync(body).toString('utf8');
  if (encoding === 'br') return zlib.brotliDecompressSync(body).toString('utf8');
  return body.toString('utf8');
}

/** The value of one sample of a Prometheus text exposition; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const has = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('health probes', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start({ READ_ACCESS: 'key' });
  });
  afterAll(() => app.stop());

  it('/health, /health/live, /health/ready and /metrics are open with READ_ACCESS=key', async () => {
    for (const path of ['/health', '/health/live', '/health/ready', '/metrics']) expect({ path, status: (await app.get(path)).status }).toEqual({ path, status: 200 });
    expect((await app.get('/positions')).status).toBe(401);
  });

  it('/health/live says the process answers; /health/ready that the database and the projector do', async () => {
    expect((await app.get('/health/live')).body).toEqual({ status: 'ok' });
    await app.post('/events', statement());
    await app.settled();
    const ready = await app.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', ready: true, database: 'up', projector: { head: expect.any(Number) } });
    expect(ready.body.projector.checkpoint).toBe(ready.body.projector.head);
    expect(ready.body.projector.quarantined).toBeUndefined();
    expect((await app.get('/health')).body).toMatchObject({ status: 'ok', live: true, ready: true });
  });

  it('with the database unreachable, ready is 503 (live stays 200, /metrics still answers) until it is back', async () => {
    const name = new URL(app.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: await testServerUrl() });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(name)} WITH ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      const down = await app.get('/health/ready');
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(down.body).toEqual({ status: 'unavailable', ready: false, database: 'down' });
      expect(JSON.stringify(down.body)).not.toMatch(/127\.0\.0\.1|:\d{4,5}|ECONN|password/);
      expect((await app.get('/health/live')).status).toBe(200);
      const metrics = await app.get('/metrics');
      expect(metrics.status).toBe(200);
      expect(sample(metrics.body, 'standpoint_database_up')).toBe(0);
      expect(sample(metrics.body, 'standpoint_projector_lag_events', { projection: 'positions' })).toBeUndefined();
    } finally {
      await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(name)} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await until('ready again', async () => ((await app.get('/health/ready')).status === 200 ? true : undefined));
    expect(sample((await app.get('/metrics')).body, 'standpoint_database_up')).toBe(1);
  });
});

describe('readiness with a stalled projection', () => {
  it('is 503 naming the projection, and 200 once it moves again', async () => {
    const app = await TestApp.start({ PROJECTOR_STALL_MS: '1000' });
    try {
      expect((await app.post('/events', statement())).status).toBe(201);
      await app.settled();
      // The projector's writes fail (a full disk, as PostgreSQL reports it); appends still work.
      await fillDisk(app, 'projection_state');
      expect((await app.post('/events', statement('hamas', 'negotiations', 'opposes'))).status).toBe(201);
      const stalled = await until('the stall to show', async () => {
        const ready = await app.get('/health/ready');
        return ready.status === 503 ? ready : undefined;
      });
      expect(stalled.body).toMatchObject({ status: 'unavailable', ready: false, database: 'up', projector: { stalled: expect.arrayContaining(['positions']) } });
      expect(stalled.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await app.get('/health/live')).status).toBe(200);
      const metrics = (await app.get('/metrics')).body;
      expect(sample(metrics, 'standpoint_projector_lag_events', { projection: 'positions' })).toBe(1);

      await freeDisk(app, 'projection_state');
      await until('recovery', async () => ((await app.get('/health/ready')).status === 200 ? true : undefined));
    } finally {
      await app.stop();
    }
  }, 60_000);
});

describe('GET /metrics', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.stop());

  it('is Prometheus text with the metric names an operator looks for', async () => {
    const reply = await app.get('/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      'standpoint_appends_total',
      'standpoint_http_request_duration_seconds',
      'standpoint_projector_lag_events',
      'standpoint_projection_checkpoint',
      'standpoint_projection_active_checkpoint',
      'standpoint_projection_rebuilding',
      'standpoint_projector_leader',
      'standpoint_log_head_position',
      'standpoint_stream_clients',
      'standpoint_db_pool_connections',
      'standpoint_db_pool_idle_connections',
      'standpoint_db_pool_waiting_requests',
      'standpoint_database_up',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(reply.body).toContain(`# TYPE ${name} `);
    }
    expect(sample(reply.body, 'standpoint_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(sample(reply.body, 'standpoint_db_pool_waiting_requests')).toBe(0);
  });

  it('moves with appends, rejections, reads and the projector', async () => {
    const before = (await app.get('/metrics')).body;
    const count = (labels: Record<string, string>, text: string) => sample(text, 'standpoint_appends_total', labels) ?? 0;
    expect((await app.post('/events', statement())).status).toBe(201);
    expect((await app.post('/events/batch', { events: [statement('israel'), statement('qatar')] })).status).toBe(201);
    expect((await app.post('/events', { type: 'StatementIssued' })).status).toBe(400);
    expect((await app.post('/events', statement(), null)).status).toBe(401);
    expect((await app.get('/positions/hamas')).status).toBe(200);
    await app.settled();

    const after = await until('the answers to be counted', async () => {
      const text = (await app.get('/metrics')).body as string;
      return count({ route: '/events', status: '401' }, text) > count({ route: '/events', status: '401' }, before) ? text : undefined;
    });
    expect(count({ route: '/events', status: '201', outcome: 'appended' }, after) - count({ route: '/events', status: '201' }, before)).toBe(1);
    expect(count({ route: '/events/batch', status: '201', outcome: 'appended' }, after) - count({ route: '/events/batch', status: '201' }, before)).toBe(1);
    expect(count({ route: '/events', status: '400', outcome: 'rejected' }, after) - count({ route: '/events', status: '400' }, before)).toBe(1);
    expect(count({ route: '/events', status: '401', outcome: 'rejected' }, after) - count({ route: '/events', status: '401' }, before)).toBe(1);

    // Latency by route pattern, not by URL.
    expect(sample(after, 'standpoint_http_request_duration_seconds_count', { method: 'GET', route: '/positions/:actor', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain('route="/positions/hamas"');
    expect(sample(after, 'standpoint_http_request_duration_seconds_count', { method: 'POST', route: '/events', status: '201' })).toBeGreaterThanOrEqual(1);

    // The projector has caught up with the three events: no lag, checkpoints at the head, no rebuild.
    const [{ head }] = await app.db.query('SELECT max(position)::bigint AS head FROM events');
    expect(sample(after, 'standpoint_log_head_position')).toBe(Number(head));
    for (const projection of ['positions', 'proposals', 'timeline', 'status', 'agreements']) {
      expect({ projection, lag: sample(after, 'standpoint_projector_lag_events', { projection }) }).toEqual({ projection, lag: 0 });
      expect(sample(after, 'standpoint_projection_checkpoint', { projection })).toBe(Number(head));
      expect(sample(after, 'standpoint_projection_rebuilding', { projection })).toBe(0);
    }
    expect(sample(after, 'standpoint_projector_leader')).toBe(1);
  });

  it('shows a rebuild while it runs, and stream clients while they are connected', async () => {
    const stream = openStream(`${app.url}/stream`);
    await until('the stream to be counted', async () => (sample((await app.get('/metrics')).body, 'standpoint_stream_clients') === 1 ? true : undefined));
    await stream.close();
    await until('the stream to be let go', async () => (sample((await app.get('/metrics')).body, 'standpoint_stream_clients') === 0 ? true : undefined));

    // A rebuild that cannot finish yet (its writes are held back) shows as rebuilding, with its own checkpoint.
    await app.db.query(`CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'held' USING ERRCODE = '53100'; END $$`);
    await app.db.query(`CREATE TRIGGER hold BEFORE UPDATE ON projection_state FOR EACH ROW WHEN (NEW.checkpoint > 0 AND NEW.generation <> NEW.active_generation) EXECUTE FUNCTION hold()`);
    try {
      expect((await app.post('/admin/projections/rebuild', {}, ADMIN_KEY)).status).toBe(202);
      const during = (await app.get('/metrics')).body as string;
      expect(sample(during, 'standpoint_projection_rebuilding', { projection: 'positions' })).toBe(1);
      expect(sample(during, 'standpoint_projection_checkpoint', { projection: 'positions' })).toBe(0);
      expect(sample(during, 'standpoint_projection_active_checkpoint', { projection: 'positions' })).toBe(sample(during, 'standpoint_log_head_position'));
      expect(sample(during, 'standpoint_projector_lag_events', { projection: 'positions' })).toBe(3);
    } finally {
      await app.db.query(`DROP TRIGGER hold ON projection_state; DROP FUNCTION hold()`);
    }
    await app.rebuilt();
    expect(sample((await app.get('/metrics')).body, 'standpoint_projection_rebuilding', { projection: 'positions' })).toBe(0);
  });
});

describe('compression', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
    const actors = ['hamas', 'israel', 'egypt', 'qatar', 'us'];
    const events = Array.from({ length: 20 }, (_, i) => statement(actors[i % actors.length], 'negotiations', 'supports', { occurredAt: `2023-12-${String(i + 1).padStart(2, '0')}` }));
    expect((await app.post('/events/batch', { events })).status).toBe(201);
    await app.settled();
  });
  afterAll(() => app.stop());

  it.each(['gzip', 'br'])('a large JSON answer comes %s-encoded and decodes to the same JSON', async (encoding) => {
    const plain = await raw(`${app.url}/events?limit=20`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(1024);
    const packed = await raw(`${app.url}/events?limit=20`, { 'accept-encoding': encoding });
    expect(packed.status).toBe(200);
    expect(packed.headers['content-encoding']).toBe(encoding);
    expect(packed.headers.vary).toMatch(/accept-encoding/i);
    expect(packed.body.length).toBeLessThan(plain.body.length);
    expect(JSON.parse(decode(encoding, packed.body))).toEqual(JSON.parse(plain.body.toString('utf8')));
  });

  it('prefers brotli when the client takes both, and leaves small answers alone', async () => {
    expect((await raw(`${app.url}/events?limit=20`, { 'accept-encoding': 'gzip, deflate, br' })).headers['content-encoding']).toBe('br');
    const small = await raw(`${app.url}/health/live`, { 'accept-encoding': 'gzip, br' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString('utf8'))).toEqual({ status: 'ok' });
  });

  it('problem+json answers are compressed the same way and keep their media type', async () => {
    const bad = JSON.stringify({ events: Array.from({ length: 30 }, () => ({ type: 'StatementIssued' })) });
    const headers = { authorization: `Bearer ${EDITOR_KEY}` };
    const plain = await raw(`${app.url}/events/batch`, headers, 'POST', bad);
    const packed = await raw(`${app.url}/events/batch`, { ...headers, 'accept-encoding': 'gzip' }, 'POST', bad);
    expect(packed.status).toBe(400);
    expect(packed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(packed.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(decode('gzip', packed.body))).toEqual(JSON.parse(plain.body.toString('utf8')));
  });

  it('the page and its files still load, compressed', async () => {
    for (const path of ['/', '/app.js', '/style.css']) {
      const plain = await raw(`${app.url}${path}`);
      const packed = await raw(`${app.url}${path}`, { 'accept-encoding': 'br' });
      expect({ path, status: packed.status }).toEqual({ path, status: 200 });
      if (plain.body.length > 1024) expect({ path, encoding: packed.headers['content-encoding'] }).toEqual({ path, encoding: 'br' });
      expect(decode(packed.headers['content-encoding'], packed.body)).toBe(plain.body.toString('utf8'));
      expect(packed.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('GET /stream is never compressed or held back: each event arrives as it is appended', async () => {
    const chunks: string[] = [];
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${app.url}/stream`, { headers: { 'accept-encoding': 'gzip, br' } }, resolve).on('error', reject));
    try {
      expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(response.headers['content-encoding']).toBeUndefined();
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => chunks.push(chunk));
      await until('the stream to open', async () => (chunks.join('').includes(': standpoint stream') ? true : undefined));
      await until('the stream to go live', async () => (sample((await app.get('/metrics')).body, 'standpoint_stream_clients') === 1 ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      const posted = await app.post('/events', statement('egypt'));
      expect(posted.status).toBe(201);
      await until('the event on the stream', async () => (chunks.join('').includes(`"id":"${posted.body.id}"`) ? true : undefined), 10_000);
    } finally {
      response.destroy();
    }
  });
});

describe('the request log', () => {
  let app: TestApp;
  const lines: string[] = [];
  const write = process.stdout.write;

  beforeAll(async () => {
    app = await TestApp.start({ REQUEST_LOG: 'true', LOG_FORMAT: 'json', LOG_LEVEL: 'log', READ_ACCESS: 'key' });
  });
  afterAll(() => app.stop());

  it('has one JSON line per request: method, route pattern, status, ms and the name of the key, never the key', async () => {
    process.stdout.write = ((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      expect((await app.post('/events', statement())).status).toBe(201);
      expect((await app.get('/positions/hamas', EDITOR_KEY)).status).toBe(200);
      expect((await app.get('/positions/hamas', 'wrong-secret-0123456789')).status).toBe(401);
      expect((await app.get('/health/live')).status).toBe(200);
      const stream = openStream(`${app.url}/stream`, { authorization: `Bearer ${EDITOR_KEY}` });
      await until('the stream to open', async () => (stream.contentType() ? true : undefined));
      await stream.close();
      await until('the last line', async () => (lines.some((l) => l.includes('GET /stream')) ? true : undefined));
      const gzipped = await raw(`${app.url}/events`, { authorization: `Bearer ${EDITOR_KEY}`, 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'POST', zlib.gzipSync(JSON.stringify(statement())));
      expect(gzipped.status).toBe(415);
    } finally {
      process.stdout.write = write;
    }
    const entries = lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.context === 'request');
    expect(entries.map(({ method, route, status, key }) => ({ method, route, status, key }))).toEqual([
      { method: 'POST', route: '/events', status: 201, key: 'editor' },
      { method: 'GET', route: '/positions/:actor', status: 200, key: 'editor' },
      { method: 'GET', route: '/positions/:actor', status: 401, key: null },
      { method: 'GET', route: '/health/live', status: 200, key: null },
      // A stream is logged when it ends, with how long the client stayed.
      { method: 'GET', route: '/stream', status: 200, key: 'editor' },
      // A compressed body is refused before any key is looked at.
      { method: 'POST', route: '/events', status: 415, key: null },
    ]);
    for (const entry of entries) {
      expect(typeof entry.ms).toBe('number');
      expect(entry.ms).toBeGreaterThanOrEqual(0);
      expect(entry.level).toBe('log');
      expect(typeof entry.timestamp).toBe('number');
    }
    expect(entries[0].message).toMatch(/^POST \/events 201 [\d.]+ ms key=editor$/);
    const all = lines.join('');
    expect(all).not.toContain(EDITOR_KEY);
    expect(all).not.toContain('wrong-secret-0123456789');
    expect(all).not.toContain('/positions/hamas');
  });
});
