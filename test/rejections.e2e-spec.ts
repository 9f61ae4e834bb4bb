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
  // What PostgreSQL cannot store, and what only looks like text or a number.
  { name: 'a NUL in an event text', status: 400, path: 'data.summary', send: post(withData({ summary: 'cease\u0000fire' })) },
  { name: 'a NUL in a source', status: 400, path: 'sources[0].outlet', send: post({ ...statement(), sources: [{ outlet: 'Reu\u0000ters', attribution: 'named' }] }) },
  { name: 'a NUL in a field name', status: 400, path: 'data.a\u0000b', send: post(withData({ 'a\u0000b': 1 })) },
  { name: 'a lone surrogate in an event text', status: 400, path: 'data.summary', send: (app) => app.request('POST', '/events', undefined, { raw: JSON.stringify(withData({ summary: 'SUMMARY' })).replace('SUMMARY', 'half \\ud800 a pair') }) },
  { name: 'a NUL in an actor name', status: 400, path: 'name', send: (app) => app.post('/actors', { slug: 'pij', name: 'P\u0000IJ', role: 'party' }, ADMIN_KEY) },
  { name: 'a lone surrogate in an actor name', status: 400, path: 'name', send: (app) => app.request('POST', '/actors', undefined, { key: ADMIN_KEY, raw: '{"slug":"pij","name":"PIJ \\udc00","role":"party"}' }) },
  { name: 'a NUL in an issue description', status: 400, path: 'description', send: (app) => app.post('/issues', { slug: 'rafah', name: 'Rafah', description: 'a\u0000b' }, ADMIN_KEY) },
  { name: 'a summary of only a zero-width space', status: 400, path: 'data.summary', send: post(withData({ summary: '\u200b' })) },
  { name: 'a count that underflows to 0', status: 400, path: 'data.count', send: (app) => app.request('POST', '/events', undefined, { raw: JSON.stringify({ type: 'DetaineesReleased', occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { by: 'hamas', count: 7, summary: 'released' } }).replace('"count":7', '"count":1e-400') }) },
  { name: 'a body in another charset', status: 415, send: (app) => app.request('POST', '/events', undefined, { raw: Buffer.from(JSON.stringify(withData({ summary: 'café' })), 'latin1'), headers: { 'content-type': 'application/json; charset=latin1' } }) },
  { name: 'a body that is not valid UTF-8', status: 415, send: (app) => app.request('POST', '/events', undefined, { raw: Buffer.from(JSON.stringify(withData({ summary: 'café' })), 'latin1') }) },
  { name: 'a form-encoded actor', status: 415, send: (app) => app.request('POST', '/actors', undefined, { key: ADMIN_KEY, raw: 'slug=pij&name=PIJ&role=party', headers: { 'content-type': 'application/x-www-form-urlencoded' } }) },
  // Ids are compared as stored (lower case): one id in two cases is the same id.
  { name: 'a batch with one id twice, in two cases', status: 400, path: 'events[1].id', send: (app) => { const e = statement(); return app.post('/events/batch', { events: [e, { ...statement(), id: e.id.toUpperCase() }] }); } },
  // Query parameters a route does not take are refused, not ignored.
  ...['/positions?asof=2023-12-18', '/positions/hamas?foo=1', '/positions/hamas/history?issue=negotiations&as_of=1', '/proposals?x=1', '/proposals/p-1?x=1', '/timeline?actors=hamas', '/status?knownat=2023-12-19', '/events?after=0&sort=desc', '/events/6b7e3c1e-7d43-4a53-9a43-4d6f5d9f0b11?x=1', '/actors?role=party', '/issues?x=1', '/stream?topic=x'].map(
    (route): Case => ({ name: `an unknown query parameter on ${route}`, status: 400, path: [...new URLSearchParams(route.split('?')[1]).keys()].find((k) => !['issue', 'after'].includes(k)), send: (app) => app.get(route) }),
  ),
  { name: 'a malformed percent-encoding in the path', status: 400, send: (app) => app.get('/positions/%ZZ') },
  // v2: uncertain dates.
  ...[['an interval whose start is after its end', '2024-03-05/2024-03-01'], ['an interval with an open end', '2024-03-01/..'], ['an interval ending in the future', '2024-03-01/2999-01-01'], ['an interval with a malformed start', 'March/2024-03-05'], ['an interval with no end', '2024-03-01/'], ['an upper bound with no end', '../'], ['three bounds', '2024-03-01/2024-03-02/2024-03-03']].map(
    ([name, occurredAt]): Case => ({ name, status: 400, path: 'occurredAt', send: post({ ...statement(), occurredAt }) }),
  ),
  // v2: ranges.
  { name: 'a range whose min is greater than its max', status: 400, path: 'data.terms.prisonersReleased.count.min', send: post({ ...proposal('p-range'), data: { ...proposal().data, proposalId: 'p-range', terms: { prisonersReleased: { count: { min: 1650, max: 990 } } } } }) },
  { name: 'a negative range', status: 400, path: 'data.terms.hostagesReleased.count.min', send: post({ ...proposal('p-range'), data: { ...proposal().data, proposalId: 'p-range', terms: { hostagesReleased: { count: { min: -1, max: 3 } } } } }) },
  { name: 'a range of fractions', status: 400, path: 'data.terms.ceasefire.durationDays', send: post({ ...proposal('p-range'), data: { ...proposal().data, proposalId: 'p-range', terms: { ceasefire: { kind: 'temporary', durationDays: { min: 1.5, max: 3 } } } } }) },
  { name: 'a range with an unknown field', status: 400, path: 'data.terms.prisonersReleased.count.about', send: post({ ...proposal('p-range'), data: { ...proposal().data, proposalId: 'p-range', terms: { prisonersReleased: { count: { min: 1, max: 3, about: 2 } } } } }) },
  // v2: answers.
  ...[
    ['answer conditions that are not a list', { conditions: 'all hostages' }, 'data.conditions'],
    ['empty answer conditions', { conditions: [] }, 'data.conditions'],
    ['an answer stance on an unknown issue', { stances: [{ issue: 'world-peace', stance: 'supports' }] }, 'data.stances[0].issue'],
    ['an answer stance that is not a stance', { stances: [{ issue: 'negotiations', stance: 'maybe' }] }, 'data.stances[0].stance'],
    ['answer terms with an unknown field', { terms: { ceasefire: { kind: 'temporary', weeks: 6 } } }, 'data.terms.ceasefire.weeks'],
  ].map(([name, extra, path]): Case => ({ name: name as string, status: 400, path: path as string, send: post({ type: 'ProposalResponded', occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { proposalId: 'p-1', responder: 'hamas', response: 'accepted', summary: 'yes, but', ...(extra as object) } }) })),
  // v2: claims and disputes.
  ...[
    ['a claim by an unknown claimant', { claimant: 'atlantis' }, 'data.claimant'],
    ['a claim about an unknown actor', { about: ['atlantis'] }, 'data.about[0]'],
    ['a claim about nobody', { about: [] }, 'data.about'],
    ['a claim without stances', { stances: [] }, 'data.stances'],
    ['a claim on an unknown issue', { stances: [{ issue: 'world-peace', stance: 'supports' }] }, 'data.stances[0].issue'],
  ].map(([name, patch, path]): Case => ({ name: name as string, status: 400, path: path as string, send: post({ type: 'PositionClaimed', occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { claimant: 'us', about: ['hamas'], stances: [{ issue: 'negotiations', stance: 'supports' }], summary: 'they are ready', ...(patch as object) } }) })),
  { name: 'a dispute of an event that does not exist', status: 400, path: 'data.eventId', send: post({ type: 'ReportDisputed', occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { eventId: '6b7e3c1e-7d43-4a53-9a43-4d6f5d9f0b11', reason: 'denied' } }) },
  { name: 'a dispute by an unknown actor', status: 400, path: 'data.by', send: (app) => app.get('/events?type=ProposalMade').then((page) => app.post('/events', { type: 'ReportDisputed', occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { eventId: page.body.events[0].id, by: 'atlantis', reason: 'denied' } })) },
  // v2 part 2: agreements, ceasefires, releases, meetings, pressure.
  ...(() => {
    const base = { occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }] };
    const agreement = (data: Record<string, unknown>) => post({ type: 'AgreementReached', ...base, data: { agreementId: 'a-new', parties: ['israel', 'hamas'], terms: {}, summary: 'agreed', ...data } });
    return [
      { name: 'a first posting of an agreement without parties', status: 400, path: 'data.parties', send: agreement({ parties: undefined }) },
      { name: 'a first posting of an agreement without terms', status: 400, path: 'data.terms', send: agreement({ terms: undefined }) },
      { name: 'an agreement status that is not one', status: 400, path: 'data.status', send: agreement({ status: 'rumoured' }) },
      { name: 'an agreement phase numbered 0', status: 400, path: 'data.phases[0].phase', send: agreement({ phases: [{ phase: 0, summary: 'x' }] }) },
      { name: 'an agreement phase listed twice', status: 400, path: 'data.phases', send: agreement({ phases: [{ phase: 1, summary: 'x' }, { phase: 1, summary: 'y' }] }) },
      { name: 'an unknown guarantor', status: 400, path: 'data.guarantors[0]', send: agreement({ guarantors: ['atlantis'] }) },
      { name: 'a ratification of an agreement that does not exist', status: 400, path: 'data.agreementId', send: post({ type: 'AgreementRatified', ...base, data: { agreementId: 'nope', by: 'israel', summary: 'approved' } }) },
      { name: 'a ratification by an actor who is not a party', status: 400, path: 'events[1].data.by', send: (app: TestApp) => app.post('/events/batch', { events: [{ type: 'AgreementReached', ...base, data: { agreementId: 'a-rat', parties: ['israel', 'hamas'], terms: {}, summary: 'agreed' } }, { type: 'AgreementRatified', ...base, data: { agreementId: 'a-rat', by: 'qatar', summary: 'approved' } }] }) },
      { name: 'a ceasefire phase without an agreement', status: 400, path: 'data.phase', send: post({ type: 'CeasefireStarted', ...base, data: { phase: 1, summary: 'phase one' } }) },
      { name: 'a ceasefire kind that is not one', status: 400, path: 'data.kind', send: post({ type: 'CeasefireStarted', ...base, data: { kind: 'imagined', summary: 'quiet' } }) },
      { name: 'a violation by an unknown actor', status: 400, path: 'data.by', send: post({ type: 'CeasefireViolated', ...base, data: { by: 'atlantis', summary: 'shots' } }) },
      { name: 'a violation of an unknown agreement', status: 400, path: 'data.agreementId', send: post({ type: 'CeasefireViolated', ...base, data: { agreementId: 'nope', summary: 'shots' } }) },
      { name: 'more deceased than released', status: 400, path: 'data.deceased', send: post({ type: 'DetaineesReleased', ...base, data: { by: 'hamas', count: 3, deceased: 4, summary: 'released' } }) },
      { name: 'a negative deceased', status: 400, path: 'data.deceased', send: post({ type: 'DetaineesReleased', ...base, data: { by: 'hamas', count: 3, deceased: -1, summary: 'released' } }) },
      { name: 'a meeting format that is not one', status: 400, path: 'data.format', send: post({ type: 'MeetingHeld', ...base, data: { participants: [{ actor: 'hamas' }], location: { country: 'Egypt' }, format: 'by letter', summary: 'met' } }) },
      { name: 'a pressure deadline that is not a date', status: 400, path: 'data.deadline', send: post({ type: 'PressureApplied', ...base, data: { by: 'us', on: ['israel'], issue: 'negotiations', demand: 'talk', deadline: 'soon', summary: 'pressed' } }) },
    ] satisfies Case[];
  })(),
  { name: 'a dispute without a reason', status: 400, path: 'data.reason', send: post({ type: 'ReportDisputed', occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { eventId: '6b7e3c1e-7d43-4a53-9a43-4d6f5d9f0b11' } }) },
];

describe('bad input is refused with problem+json and appends nothing', () => {
  let app: TestApp;
  let before: number;
  let registeredBefore: number;
  const registered = async (app: TestApp) => (await app.db.query('SELECT (SELECT count(*) FROM actors) + (SELECT count(*) FROM issues) AS n'))[0].n;

  beforeAll(async () => {
    app = await TestApp.start({ BODY_LIMIT: '65536' });
    expect((await app.post('/events', proposal('p-1'))).status).toBe(201);
    before = await app.eventCount();
    registeredBefore = await registered(app);
  });
  afterAll(() => app.stop());

  it.each(cases)('refuses $name', async ({ status, path, send }) => {
    const reply = await send(app);
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
    expect(JSON.stringify(reply.body)).not.toMatch(/\n\s+at /); // no stack traces
    if (path) expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await app.eventCount()).toBe(before);
    expect(await registered(app)).toBe(registeredBefore);
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
