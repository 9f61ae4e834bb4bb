// Bad input gets a clear problem+json naming the field, and the log stays exactly as it was.
import { ADMIN_KEY, TestApp, type Reply } from './support/test-server.js';
import { proposal, statement } from './support/envelopes.js';

interface Case {
  name: string;
  status: number;
  path?: string;
  send: (app: TestApp) => Promise<Reply>;
}

const post = (body: unknown) => (app: TestApp) => app.post('/events', body);
const withData = (patch: Record<string, unknown>) => {
  const e = statement();
  return { ...e, data: { ...e.data, ...patch } };
};

const cases: Case[] = [
  { name: 'malformed JSON', status: 400, send: (app) => app.request('POST', '/events', undefined, { raw: '{"type": "StatementIssued",' }) },
  { name: 'a JSON array instead of an envelope', status: 400, send: post([statement()]) },
  { name: 'a non-JSON content type', status: 415, send: (app) => app.request('POST', '/events', undefined, { raw: 'hello', headers: { 'content-type': 'text/plain' } }) },
  { name: 'an unknown event type', status: 400, path: 'type', send: post({ ...statement(), type: 'RumourSpread' }) },
  { name: 'a missing required field', status: 400, path: 'data.summary', send: post(withData({ summary: undefined })) },
  { name: 'a wrong type', status: 400, path: 'data.stances[0].stance', send: post(withData({ stances: [{ issue: 'negotiations', stance: 42 }] })) },
  { name: 'an unknown stance', status: 400, path: 'data.stances[0].stance', send: post(withData({ stances: [{ issue: 'negotiations', stance: 'loves' }] })) },
  { name: 'an unknown field in data (rejected, not dropped)', status: 400, path: 'data.mood', send: post(withData({ mood: 'angry' })) },
  { name: 'an unknown field on the envelope', status: 400, path: 'position', send: post({ ...statement(), position: 5 }) },
  { name: 'an unknown actor slug', status: 400, path: 'data.actor', send: post(statement('atlantis')) },
  { name: 'an unknown issue slug', status: 400, path: 'data.stances[0].issue', send: post(statement('hamas', 'world-peace')) },
  { name: 'a response to a proposal that does not exist', status: 400, path: 'data.proposalId', send: post({ type: 'ProposalResponded', occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { proposalId: 'nope', responder: 'hamas', response: 'rejected', summary: 'no' } }) },
  { name: 'a source added to an event that does not exist', status: 400, path: 'data.eventId', send: post({ type: 'SourceAdded', occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { eventId: '6b7e3c1e-7d43-4a53-9a43-4d6f5d9f0b11', source: { outlet: 'AP', attribution: 'named' } } }) },
  { name: 'an impossible date', status: 400, path: 'occurredAt', send: post({ ...statement(), occurredAt: '2023-02-30' }) },
  { name: 'a date far in the future', status: 400, path: 'occurredAt', send: post({ ...statement(), occurredAt: '2999-01-01' }) },
  { name: 'a date-time without an offset', status: 400, path: 'reportedAt', send: post({ ...statement(), reportedAt: '2023-12-19T10:00:00' }) },
  { name: 'no sources', status: 400, path: 'sources', send: post({ ...statement(), sources: [] }) },
  { name: 'an unknown attribution', status: 400, path: 'sources[0].attribution', send: post({ ...statement(), sources: [{ outlet: 'X', attribution: 'hearsay' }] }) },
  { name: 'an oversized string', status: 400, path: 'data.summary', send: post(withData({ summary: 'x'.repeat(5000) })) },
  { name: 'an oversized array', status: 400, path: 'data.stances', send: post(withData({ stances: Array.from({ length: 25 }, () => ({ issue: 'negotiations', stance: 'supports' })) })) },
  { name: 'a deeply nested object where a string belongs', status: 400, path: 'data.summary', send: post(withData({ summary: JSON.parse('{"a":'.repeat(50) + '1' + '}'.repeat(50)) })) },
  { name: 'a __proto__ key', status: 400, send: (app) => app.request('POST', '/events', undefined, { raw: JSON.stringify(statement()).replace('"data":{', '"data":{"__proto__":{"admin":true},') }) },
  { name: 'a constructor.prototype key', status: 400, send: (app) => app.request('POST', '/events', undefined, { raw: JSON.stringify(statement()).replace('"data":{', '"data":{"constructor":{"prototype":{"admin":true}},') }) },
  { name: 'a body over the configured limit', status: 413, send: post(withData({ summary: 'x'.repeat(70_000) })) },
  { name: 'an expectedVersion that is not a number', status: 400, path: 'expectedVersion', send: post({ ...statement(), expectedVersion: 'latest' }) },
  { name: 'a negative expectedVersion', status: 400, path: 'expectedVersion', send: post({ ...statement(), expectedVersion: -1 }) },
  { name: 'a batch with one bad event', status: 400, path: 'events[1].data.actor', send: (app) => app.post('/events/batch', { events: [statement(), statement('atlantis')] }) },
  { name: 'a batch that is empty', status: 400, path: 'events', send: (app) => app.post('/events/batch', { events: [] }) },
  { name: 'a batch with the same id twice', status: 400, path: 'events[1].id', send: (app) => { const e = statement(); return app.post('/events/batch', { events: [e, { ...statement(), id: e.id }] }); } },
  { name: 'no API key', status: 401, send: (app) => app.post('/events', statement(), null) },
  { name: 'a wrong API key', status: 401, send: (app) => app.post('/events', statement(), 'not-a-key-at-all-000000') },
  { name: 'an editor registering an actor', status: 403, send: (app) => app.post('/actors', { slug: 'pij', name: 'Palestinian Islamic Jihad', role: 'party' }) },
  { name: 'an invalid actor registration', status: 400, path: 'role', send: (app) => app.post('/actors', { slug: 'pij', name: 'PIJ', role: 'villain' }, ADMIN_KEY) },
  { name: 'a bad asOf', status: 400, path: 'asOf', send: (app) => app.get('/positions?asOf=yesterday') },
];

describe('bad input is refused with problem+json and appends nothing', () => {
  let app: TestApp;
  let before: number;

  beforeAll(async () => {
    app = await TestApp.start({ BODY_LIMIT: '65536' });
    expect((await app.post('/events', proposal('p-1'))).status).toBe(201);
    before = await app.eventCount();
  });
  afterAll(() => app.stop());

  it.each(cases)('refuses $name', async ({ status, path, send }) => {
    const reply = await send(app);
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
    expect(JSON.stringify(reply.body)).not.toMatch(/\n\s+at /); // no stack traces
    if (path) expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await app.eventCount()).toBe(before);
  });

  it('stores SQL and script strings verbatim and harmlessly', async () => {
    const nasty = `'); DROP TABLE events; -- <script>alert(1)</script>`;
    const reply = await app.post('/events', withData({ summary: nasty }));
    expect(reply.status).toBe(201);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    const stored = await app.get(`/events/${reply.body.id}`);
    expect(stored.body.data.summary).toBe(nasty);
    expect(await app.eventCount()).toBe(before + 1);
  });
});
