// What an outside probe did to break the record, each replayed as a story: the poison batch,
// racing retractions, retracted and hijacked proposals, events that cannot be folded, a
// projector that stops, a full disk, key-only reads, a client that never sends its body, and
// pages of very large events.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../src/database/database.js';
import { proposal, statement } from './support/envelopes.js';
import { ADMIN_KEY, EDITOR_KEY, freshDatabase, TestApp } from './support/test-server.js';
import { fillDisk, freeDisk } from './support/full-disk.js';
import { until } from './support/until.js';

const source = [{ outlet: 'Reuters', attribution: 'named' }];
const corroboration = (eventId: string) => ({ type: 'SourceAdded', occurredAt: '2023-12-20', sources: source, data: { eventId, source: { outlet: 'AP', attribution: 'named' } } });
const retraction = (eventId: string) => ({ type: 'ReportRetracted', occurredAt: '2023-12-21', sources: source, data: { eventId, reason: 'misreported' } });
const answer = (proposalId: string, response = 'accepted') => ({ type: 'ProposalResponded', occurredAt: '2023-12-20', sources: source, data: { proposalId, responder: 'hamas', response, summary: `hamas ${response}` } });

describe('a record no request can break', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.stop());

  it('given an upper-case id and a correction naming it in the same batch, both are stored in canonical form and the projections go on', async () => {
    const upper = randomUUID().toUpperCase();
    const batch = await app.post('/events/batch', { events: [statement('qatar', 'negotiations', 'supports', { id: upper }), corroboration(upper)] });
    expect(batch.status).toBe(201);
    expect(batch.body.events[0].id).toBe(upper.toLowerCase());
    expect(batch.body.events[1].data.eventId).toBe(upper.toLowerCase());

    await app.settled();
    const qatar = (await app.get('/positions/qatar')).body;
    expect(qatar.stances.negotiations).toMatchObject({ stance: 'supports', confidence: 'confirmed' });
    expect((await app.post('/events', statement('qatar', 'negotiations', 'opposes'))).status).toBe(201);
    await app.settled();
    expect((await app.get('/positions/qatar')).body.stances.negotiations.stance).toBe('opposes');

    // A retraction sent in upper case retracts the stored event, and a retry in lower case is the same request.
    const retract = { id: randomUUID().toUpperCase(), ...retraction(upper) };
    expect((await app.post('/events', retract)).status).toBe(201);
    expect((await app.post('/events', { ...retract, id: retract.id.toLowerCase() })).status).toBe(200);
    expect((await app.post('/events', { ...retraction(upper.toLowerCase()) })).status).toBe(409);
    expect((await app.get(`/events/${upper}`)).body.retracted).toBe(true);
    expect((await app.get('/health')).body).toMatchObject({ status: 'ok', ready: true, projector: { quarantined: [] } });
  });

  it('when three retractions of one event race, exactly one is stored and the others get 409', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const target = (await app.post('/events', statement())).body.id;
      const replies = await Promise.all([0, 1, 2].map(() => app.post('/events', retraction(target))));
      expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      const [{ n }] = await app.db.query(`SELECT count(*)::int AS n FROM events WHERE type = 'ReportRetracted' AND data->>'eventId' = $1`, [target]);
      expect(n).toBe(1);
    }
  });

  it('given a retracted proposal, answering, countering or agreeing to it is 409; a proposal is revised only by its proposer', async () => {
    const made = await app.post('/events', proposal('p-withdrawn'));
    expect((await app.post('/events', retraction(made.body.id))).status).toBe(201);
    const before = await app.eventCount();
    expect((await app.post('/events', answer('p-withdrawn'))).status).toBe(409);
    expect((await app.post('/events', proposal('p-counter'))).status).toBe(201);
    expect((await app.post('/events', { ...answer('p-counter', 'countered'), data: { ...answer('p-counter').data, response: 'countered', counterProposalId: 'p-withdrawn' } })).status).toBe(409);
    const agreement = { type: 'AgreementReached', occurredAt: '2023-12-22', sources: source, data: { agreementId: 'a-1', parties: ['israel', 'hamas'], proposalId: 'p-withdrawn', terms: {}, summary: 'agreed' } };
    expect((await app.post('/events', agreement)).status).toBe(409);
    // The retraction and the answer in one batch: refused as well.
    const fresh = await app.post('/events', proposal('p-batch'));
    expect((await app.post('/events/batch', { events: [retraction(fresh.body.id), answer('p-batch')] })).status).toBe(409);

    // In a batch, order counts: an answer before the retraction stands; one after it does not.
    const ordered = await app.post('/events', proposal('p-ordered'));
    expect((await app.post('/events/batch', { events: [answer('p-ordered'), retraction(ordered.body.id)] })).status).toBe(201);

    const hijack = proposal('p-counter');
    expect((await app.post('/events', { ...hijack, data: { ...hijack.data, proposer: 'egypt' } })).status).toBe(409);
    expect((await app.post('/events', { ...hijack, data: { ...hijack.data, summary: 'revised by its proposer' } })).status).toBe(201);
    expect(await app.eventCount()).toBe(before + 6);
  });

  it('given an event that cannot be folded, it is quarantined where operators see it, the rest is projected, and a rebuild agrees', async () => {
    // The store of an older version could hold such an event: a correction whose target is not in the log.
    const orphan = randomUUID();
    await app.db.query(
      `INSERT INTO events (position, id, type, occurred_at, occurred_is_day, reported_at, reported_is_day, recorded_by, data, sources, metadata, fingerprint)
       VALUES (pg_current_xact_id()::text::bigint * 10000 + 1, $1, 'SourceAdded', '2023-12-20', true, '2023-12-20', true, 'probe', $2, '[]', '{}', 'x')`,
      [orphan, JSON.stringify({ eventId: randomUUID(), source: { outlet: 'AP', attribution: 'named' } })],
    );
    expect((await app.post('/events', statement('egypt', 'negotiations', 'supports'))).status).toBe(201);
    await app.settled();
    expect((await app.get('/positions/egypt')).body.stances.negotiations.stance).toBe('supports');

    const health = await app.get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'degraded', ready: true });
    expect(health.body.projector.quarantined).toEqual([expect.objectContaining({ eventId: orphan, reason: expect.stringMatching(/not in the log/) })]);
    const admin = await app.get('/admin/projections', ADMIN_KEY);
    expect(admin.body.quarantined.map((q: { eventId: string }) => q.eventId)).toEqual([orphan]);

    const before = await Promise.all(['/positions', '/proposals', '/timeline', '/status'].map(async (r) => (await app.get(r)).body));
    expect((await app.post('/admin/projections/rebuild', {}, ADMIN_KEY)).status).toBe(202);
    await app.rebuilt();
    expect(await Promise.all(['/positions', '/proposals', '/timeline', '/status'].map(async (r) => (await app.get(r)).body))).toEqual(before);
    expect((await app.get('/admin/projections', ADMIN_KEY)).body.quarantined.map((q: { eventId: string }) => q.eventId)).toEqual([orphan]);
  });

  it('answers large events in pages of bounded size, with next to go on', async () => {
    const big = () => ({ ...statement('us', 'negotiations', 'supports'), sources: Array.from({ length: 20 }, (_, i) => ({ outlet: `Outlet ${i} ${'o'.repeat(150)}`, url: `https://example.org/${'u'.repeat(1900)}`, attribution: 'named' })) });
    const other = await TestApp.start({ PAGE_MAX_BYTES: String(256 * 1024) });
    try {
      const posted = await other.post('/events/batch', { events: Array.from({ length: 20 }, big) });
      expect(posted.status).toBe(201);
      const seen: string[] = [];
      for (let after = 0; ; ) {
        const page = await other.request('GET', `/events?after=${after}&limit=1000`, undefined, { key: null });
        expect(Buffer.byteLength(JSON.stringify(page.body))).toBeLessThanOrEqual(256 * 1024);
        if (page.body.events.length === 0) break;
        expect(page.body.events.length).toBeLessThan(20);
        seen.push(...page.body.events.map((e: { id: string }) => e.id));
        after = page.body.next;
      }
      expect(seen).toEqual(posted.body.events.map((e: { id: string }) => e.id));
    } finally {
      await other.stop();
    }
  });
});

describe('honest health', () => {
  it('when the disk is full, an append is 503 with Retry-After and nothing is stored; projections behind the log without progress make the server not ready', async () => {
    const app = await TestApp.start({ PROJECTOR_STALL_MS: '1000' });
    try {
      expect((await app.post('/events', statement())).status).toBe(201);
      await app.settled();
      // A full disk, as PostgreSQL reports it (SQLSTATE 53100), for the projector's writes and then for appends.
      await fillDisk(app, 'projection_state');
      expect((await app.post('/events', statement('hamas', 'negotiations', 'opposes'))).status).toBe(201);
      await fillDisk(app, 'events');
      const count = await app.eventCount();
      const refused = await app.post('/events', statement());
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
      expect(await app.eventCount()).toBe(count);

      const stalled = await until('the stall to show', async () => {
        const health = await app.get('/health');
        return health.status === 503 ? health : undefined;
      });
      expect(stalled.body).toMatchObject({ status: 'unavailable', ready: false, projector: { stalled: expect.arrayContaining(['positions']) } });
      expect(stalled.headers.get('retry-after')).toMatch(/^\d+$/);

      await freeDisk(app, 'projection_state');
      await freeDisk(app, 'events');
      await until('recovery', async () => ((await app.get('/health')).status === 200 ? true : undefined));
      await app.settled();
      expect((await app.get('/positions/hamas')).body.stances.negotiations.stance).toBe('opposes');
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('shows no internals when the database is away', async () => {
    const app = await TestApp.start();
    try {
      await app.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).catch(() => undefined);
      const health = await app.get('/health');
      expect(JSON.stringify(health.body)).not.toMatch(/127\.0\.0\.1|:\d{4,5}|ECONN|password/);
    } finally {
      await app.stop();
    }
  });
});

describe('READ_ACCESS=key means what it says', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start({ READ_ACCESS: 'key' });
  });
  afterAll(() => app.stop());

  it.each(['/events', '/positions', '/positions/hamas', '/proposals', '/timeline', '/status', '/actors', '/issues', '/docs', '/docs-json', '/stream'])('%s needs a key', async (route) => {
    expect((await app.get(route)).status).toBe(401);
    if (route !== '/stream') expect((await app.get(route, EDITOR_KEY)).status).toBe(200);
  });

  it('/health stays open; /admin/projections needs an admin key in every mode', async () => {
    expect((await app.get('/health')).status).toBe(200);
    expect((await app.get('/admin/projections')).status).toBe(401);
    expect((await app.get('/admin/projections', EDITOR_KEY)).status).toBe(403);
    expect((await app.get('/admin/projections', ADMIN_KEY)).status).toBe(200);
    const open = await TestApp.start();
    try {
      expect((await open.get('/admin/projections')).status).toBe(401);
      expect((await open.get('/admin/projections', EDITOR_KEY)).status).toBe(403);
    } finally {
      await open.stop();
    }
  });

  it('a stream with a bearer key is served', async () => {
    const controller = new AbortController();
    const reply = await fetch(`${app.url}/stream`, { headers: { authorization: `Bearer ${EDITOR_KEY}` }, signal: controller.signal });
    expect(reply.status).toBe(200);
    controller.abort();
  });
});

describe('bounded resources', () => {
  it('a client that announces a body and never sends it is cut off', async () => {
    const app = await TestApp.start({ REQUEST_TIMEOUT_MS: '1500' });
    try {
      const { port } = new URL(app.url);
      const started = Date.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(`POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
        });
        let received = '';
        socket.on('data', (d) => (received += d.toString()));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
        setTimeout(() => reject(new Error('still open after 10 s')), 10_000).unref();
      });
      expect(Date.now() - started).toBeLessThan(8000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await app.stop();
    }
  });
});

describe('upgrading a store that already holds the poison batch', () => {
  it('canonicalises the correction, so the projections fold it', async () => {
    const db = await freshDatabase();
    const old = new DataSource({ type: 'postgres', url: db.url, migrations: MIGRATIONS.slice(0, 3), migrationsRun: true, migrationsTransactionMode: 'each' });
    await old.initialize();
    const id = randomUUID();
    const row = (eventId: string, type: string, data: unknown, position: number) =>
      old.query(
        `INSERT INTO events (position, id, type, occurred_at, occurred_is_day, reported_at, reported_is_day, recorded_by, data, sources, metadata, fingerprint)
         VALUES ($1, $2, $3, '2023-12-19', true, '2023-12-19', true, 'old', $4, $5, $6, 'x')`,
        [position, eventId, type, JSON.stringify(data), JSON.stringify(source), JSON.stringify({ actors: ['qatar'], issues: ['negotiations'] })],
      );
    await row(id, 'StatementIssued', { actor: 'qatar', stances: [{ issue: 'negotiations', stance: 'supports' }], summary: 'Qatar supports talks' }, 10);
    await row(randomUUID(), 'SourceAdded', { eventId: id.toUpperCase(), source: { outlet: 'AP', attribution: 'named' } }, 20);
    await old.destroy();

    const app = await TestApp.start({}, db);
    try {
      await app.settled();
      expect((await app.get('/positions/qatar')).body.stances.negotiations).toMatchObject({ stance: 'supports', confidence: 'confirmed' });
      expect((await app.get('/health')).body).toMatchObject({ status: 'ok', projector: { quarantined: [] } });
    } finally {
      await app.stop();
    }
  });
});

