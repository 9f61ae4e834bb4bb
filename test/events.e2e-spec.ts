// Appending developments: idempotency by id, optimistic concurrency, batches, reading the log.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ADMIN_KEY, TestApp } from './support/test-server.js';
import { proposal, statement } from './support/envelopes.js';

describe('POST /events and friends', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.stop());

  describe('given an event posted once', () => {
    it('when the same id and body are posted again, then 200 with the stored event and nothing appended', async () => {
      const event = statement();
      const first = await app.post('/events', event);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ id: event.id, position: expect.any(Number), recordedBy: 'editor', confidence: 'reported', retracted: false });
      const count = await app.eventCount();
      const again = await app.post('/events', event);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(await app.eventCount()).toBe(count);
    });

    it('when the same id comes with another body, then 409 and nothing appended', async () => {
      const event = statement();
      await app.post('/events', event);
      const count = await app.eventCount();
      const clash = await app.post('/events', { ...event, data: { ...event.data, summary: 'something else' } });
      expect(clash.status).toBe(409);
      expect(await app.eventCount()).toBe(count);
    });

    it('keeps a bare date a day and an instant an instant', async () => {
      const reply = await app.post('/events', { ...statement(), occurredAt: '2023-12-19T14:30:00+02:00', reportedAt: '2023-12-20' });
      expect(reply.body.occurredAt).toBe('2023-12-19T12:30:00.000Z');
      expect(reply.body.reportedAt).toBe('2023-12-20');
      const unreported = await app.post('/events', { ...statement(), reportedAt: undefined });
      expect(Date.parse(unreported.body.reportedAt)).toBeGreaterThan(Date.now() - 60_000);
    });
  });

  describe('optimistic concurrency', () => {
    it('appends when expectedVersion is the current position, and 409s with the current position when the log moved on', async () => {
      const head = (await app.post('/events', statement())).body.position;
      const ok = await app.post('/events', { ...statement(), expectedVersion: head });
      expect(ok.status).toBe(201);
      const count = await app.eventCount();
      const stale = await app.post('/events', { ...statement(), expectedVersion: head });
      expect(stale.status).toBe(409);
      expect(stale.body.currentPosition).toBe(ok.body.position);
      expect(await app.eventCount()).toBe(count);
    });

    it('of 20 concurrent appends with the same expectedVersion, exactly one succeeds', async () => {
      const head = (await app.post('/events', statement())).body.position;
      const count = await app.eventCount();
      const replies = await Promise.all(Array.from({ length: 20 }, () => app.post('/events', { ...statement(), expectedVersion: head })));
      expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
      expect(replies.filter((r) => r.status === 409)).toHaveLength(19);
      expect(await app.eventCount()).toBe(count + 1);
    });

    it('an empty log is version 0', async () => {
      const fresh = await TestApp.start();
      try {
        expect((await fresh.post('/events', { ...statement(), expectedVersion: 0 })).status).toBe(201);
        expect((await fresh.post('/events', { ...statement(), expectedVersion: 0 })).status).toBe(409);
      } finally {
        await fresh.stop();
      }
    });
  });

  describe('batches', () => {
    it('appends a proposal and a response to it together, in order', async () => {
      const made = proposal('batch-p');
      const responded = { type: 'ProposalResponded', occurredAt: '2023-12-21', sources: [{ outlet: 'Reuters', attribution: 'official' }], data: { proposalId: 'batch-p', responder: 'hamas', response: 'rejected', summary: 'no' } };
      const reply = await app.post('/events/batch', { events: [made, responded] });
      expect(reply.status).toBe(201);
      expect(reply.body.events).toHaveLength(2);
      expect(reply.body.events[0].position).toBeLessThan(reply.body.events[1].position);
      await app.settled();
      const p = await app.get('/proposals/batch-p');
      expect(p.body).toMatchObject({ status: 'rejected', responses: [{ responder: 'hamas', response: 'rejected' }] });
      expect((await app.get('/positions/hamas')).body.stances['temporary-ceasefire'].stance).toBe('opposes');
    });

    it('a retried batch answers 200 and appends nothing', async () => {
      const events = [statement(), statement()];
      expect((await app.post('/events/batch', { events })).status).toBe(201);
      const count = await app.eventCount();
      expect((await app.post('/events/batch', { events })).status).toBe(200);
      expect(await app.eventCount()).toBe(count);
    });

    it('a batch whose expectedVersion is stale appends none of its events', async () => {
      const count = await app.eventCount();
      const reply = await app.post('/events/batch', { expectedVersion: 1, events: [statement(), statement()] });
      expect(reply.status).toBe(409);
      expect(await app.eventCount()).toBe(count);
    });
  });

  describe('corrections', () => {
    it('a retraction of a retraction, or a second retraction, is 409', async () => {
      const target = (await app.post('/events', statement())).body;
      const retraction = { type: 'ReportRetracted', occurredAt: '2023-12-22', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { eventId: target.id, reason: 'misquoted' } };
      const first = await app.post('/events', retraction);
      expect(first.status).toBe(201);
      const count = await app.eventCount();
      expect((await app.post('/events', { ...retraction, data: { ...retraction.data, reason: 'again' } })).status).toBe(409);
      expect((await app.post('/events', { ...retraction, data: { eventId: first.body.id, reason: 'undo' } })).status).toBe(409);
      expect(await app.eventCount()).toBe(count);
      const stored = await app.get(`/events/${target.id}`);
      expect(stored.body).toMatchObject({ retracted: true, retractedBy: first.body.id });
      const onCorrection = await app.post('/events', { type: 'SourceAdded', occurredAt: '2023-12-22', sources: [{ outlet: 'AP', attribution: 'named' }], data: { eventId: first.body.id, source: { outlet: 'AP', attribution: 'named' } } });
      expect(onCorrection.status).toBe(400);
      expect(onCorrection.body.errors[0].path).toBe('data.eventId');
      expect(await app.eventCount()).toBe(count);
    });

    it('a corroborating source raises the confidence shown on GET /events/:id', async () => {
      const target = (await app.post('/events', { ...statement(), sources: [{ outlet: 'Politico', attribution: 'anonymous' }] })).body;
      expect(target.confidence).toBe('unconfirmed');
      await app.post('/events', { type: 'SourceAdded', occurredAt: '2023-12-21', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { eventId: target.id, source: { outlet: 'Reuters', attribution: 'named' } } });
      const stored = await app.get(`/events/${target.id}`);
      expect(stored.body.confidence).toBe('confirmed'); // two distinct outlets
      expect(stored.body.addedSources).toHaveLength(1);
    });
  });

  describe('reading the log', () => {
    it('pages in position order with a cursor, filtered by type and actor', async () => {
      const seen: number[] = [];
      let after = 0;
      for (;;) {
        const page = await app.get(`/events?after=${after}&limit=3`);
        expect(page.status).toBe(200);
        if (page.body.events.length === 0) break;
        seen.push(...page.body.events.map((e: { position: number }) => e.position));
        after = page.body.next;
      }
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(new Set(seen).size).toBe(await app.eventCount());
      const proposals = await app.get('/events?type=ProposalMade');
      expect(proposals.body.events.every((e: { type: string }) => e.type === 'ProposalMade')).toBe(true);
      const israel = await app.get('/events?actor=israel');
      expect(israel.body.events.length).toBeGreaterThan(0);
      expect((await app.get('/events?actor=egypt')).body.events).toEqual([]);
    });

    it('a client finds its own append in the log at once, even while an older transaction is still open', async () => {
      const other = new pg.Client({ connectionString: app.databaseUrl });
      await other.connect();
      try {
        const head = Number((await app.get('/events?limit=1000&after=0')).body.next);
        await other.query('BEGIN');
        await other.query('SELECT pg_current_xact_id()'); // older than the append below: it holds the fence back
        const posted = await app.post('/events', statement());
        expect(posted.status).toBe(201);
        const read = app.get(`/events?after=${head}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await other.query('COMMIT');
        expect((await read).body.events.map((e: { id: string }) => e.id)).toContain(posted.body.id);
      } finally {
        await other.end();
      }
    });

    it('404s an unknown event, actor, proposal or route as problem+json', async () => {
      for (const route of [`/events/${randomUUID()}`, '/events/not-a-uuid', '/positions/atlantis', '/proposals/nope', '/nowhere']) {
        const reply = await app.get(route);
        expect(reply.status).toBe(404);
        expect(reply.headers.get('content-type')).toMatch(/problem\+json/);
      }
    });
  });

  describe('registries', () => {
    it('an admin registers an actor and an issue, and events may then use them', async () => {
      expect((await app.post('/actors', { slug: 'pij', name: 'Palestinian Islamic Jihad', role: 'party' }, ADMIN_KEY)).status).toBe(201);
      expect((await app.post('/issues', { slug: 'rafah-crossing', name: 'Rafah crossing' }, ADMIN_KEY)).status).toBe(201);
      expect((await app.post('/actors', { slug: 'pij', name: 'again', role: 'party' }, ADMIN_KEY)).status).toBe(409);
      expect((await app.get('/actors')).body.actors.map((a: { slug: string }) => a.slug)).toContain('pij');
      expect((await app.post('/events', statement('pij', 'rafah-crossing', 'demands'))).status).toBe(201);
      await app.settled();
      const pij = await app.get('/positions/pij');
      expect(pij.body).toMatchObject({ name: 'Palestinian Islamic Jihad', role: 'party', stances: { 'rafah-crossing': { stance: 'demands' } } });
    });
  });

  it('serves the OpenAPI document with every event type', async () => {
    const doc = await app.get('/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.components.schemas)).toEqual(expect.arrayContaining(['EventEnvelope', 'StatementIssued', 'ReportRetracted', 'PositionClaimed', 'ReportDisputed', 'AgreementRatified', 'CeasefireViolated']));
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/events', '/positions/{actor}', '/timeline', '/agreements', '/agreements/{id}']));
    // The v2 occurredAt forms and ranges are described where they are taken.
    expect(JSON.stringify(doc.body.components.schemas.AgreementReached)).toContain('phases');
    expect((await app.get('/docs')).status).toBe(200);
  });

  it('reports health with the database', async () => {
    const health = await app.get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ live: true, ready: true, database: 'up' });
  });
});
