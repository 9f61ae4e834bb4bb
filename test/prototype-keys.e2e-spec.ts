// Slugs and ids that are also names on every JavaScript object (issue 15): an actor and an issue
// registered as `constructor`, proposals and agreements called `constructor` and `toString`.
// Every read model must treat them as the data they are — live, and again after a rebuild —
// not find Object.prototype's members behind them (a /status once answered
// `"function Object() { [native code] }3"` for a release of three by `constructor`).
import { randomUUID } from 'node:crypto';
import { story } from './support/story.js';
import { ADMIN_KEY, TestApp } from './support/test-server.js';

const sources = [{ outlet: 'Reuters', attribution: 'named' }];
const on = (day: number) => `2024-01-${String(day).padStart(2, '0')}`;
const event = (type: string, day: number, data: Record<string, unknown>) => ({ id: randomUUID(), type, occurredAt: on(day), reportedAt: on(day), sources, data });

const demands = event('StatementIssued', 1, { actor: 'constructor', stances: [{ issue: 'constructor', stance: 'demands' }], summary: 'constructor demands constructor' });
const softens = event('StatementIssued', 2, {
  actor: 'constructor',
  stances: [{ issue: 'constructor', stance: 'conditional', conditions: ['toString first'] }],
  summary: 'constructor softens on constructor',
});
const proposesConstructor = event('ProposalMade', 3, {
  proposalId: 'constructor',
  proposer: 'constructor',
  mediators: ['qatar'],
  addressedTo: ['israel'],
  terms: { ceasefire: { kind: 'temporary', durationDays: 5 } },
  status: 'tabled',
  summary: 'the constructor plan',
});
const proposesToString = event('ProposalMade', 4, {
  proposalId: 'toString',
  proposer: 'israel',
  addressedTo: ['constructor'],
  terms: { hostagesReleased: { count: 10 } },
  status: 'drafted',
  summary: 'the toString draft',
});
const rejectsToString = event('ProposalResponded', 5, { proposalId: 'toString', responder: 'constructor', response: 'rejected', summary: 'constructor rejects toString' });
const meeting = event('MeetingHeld', 6, {
  meetingId: 'constructor',
  participants: [{ actor: 'constructor' }, { actor: 'qatar' }],
  host: 'qatar',
  location: { city: 'Doha', country: 'Qatar' },
  topics: ['constructor'],
  summary: 'constructor meets qatar in Doha',
});
const pressure = event('PressureApplied', 7, { by: 'qatar', on: ['constructor'], issue: 'constructor', demand: 'accept the constructor plan', summary: 'qatar presses constructor' });
const agreesConstructor = event('AgreementReached', 8, {
  agreementId: 'constructor',
  parties: ['constructor', 'israel'],
  mediators: ['qatar'],
  proposalId: 'constructor',
  terms: { ceasefire: { kind: 'temporary', durationDays: 5 } },
  summary: 'agreement on the constructor plan',
});
const agreesToString = event('AgreementReached', 9, {
  agreementId: 'toString',
  parties: ['constructor', 'hamas'],
  terms: { humanitarianAid: { summary: 'trucks' } },
  summary: 'the toString aid agreement',
});
const truce = event('CeasefireStarted', 10, { agreementId: 'toString', summary: 'a truce under toString' });
const truceEnds = event('CeasefireEnded', 11, { agreementId: 'toString', summary: 'the toString truce ends' });
const ceasefire = event('CeasefireStarted', 12, { agreementId: 'constructor', summary: 'the constructor ceasefire' });
const releasesThree = event('DetaineesReleased', 12, { by: 'constructor', count: 3, summary: 'constructor releases three' });
const releasesFour = event('DetaineesReleased', 13, { by: 'constructor', count: 4, categories: ['constructor'], summary: 'constructor releases four' });
const israelReleases = event('DetaineesReleased', 13, { by: 'israel', count: 30, summary: 'israel releases thirty' });
const corroboration = event('SourceAdded', 14, { eventId: demands.id, source: { outlet: 'AP', attribution: 'official' } });
const retraction = event('ReportRetracted', 14, { eventId: releasesFour.id, reason: 'it was three, not seven' });

const HISTORY = [
  demands, softens, proposesConstructor, proposesToString, rejectsToString, meeting, pressure, agreesConstructor, agreesToString,
  truce, truceEnds, ceasefire, releasesThree, releasesFour, israelReleases, corroboration, retraction,
];

/** Every projection, read back over HTTP. */
async function readAll(app: TestApp) {
  const routes = [
    '/positions', '/positions/constructor', '/positions/constructor?totals=true', '/positions/constructor?asOf=2024-01-01', '/positions/qatar', '/positions/constructor/history?issue=constructor',
    '/proposals', '/proposals/constructor', '/proposals/toString', '/proposals/hasOwnProperty', '/proposals/valueOf',
    '/timeline', '/timeline?issue=constructor', '/timeline?actor=constructor', '/status', '/status?asOf=2024-01-12', '/events?actor=constructor', '/agreements', '/agreements/constructor', '/agreements/toString',
  ];
  const replies = await Promise.all(routes.map((r) => app.get(r)));
  return Object.fromEntries(routes.map((r, i) => [r, { status: replies[i].status, body: replies[i].body }])) as Record<string, { status: number; body: any }>;
}

function expectTheStory(read: Record<string, { status: number; body: any }>) {
  const ok = (route: string) => {
    expect({ route, status: read[route].status }).toEqual({ route, status: 200 });
    return read[route].body;
  };

  // Status: numbers per actor, with nothing inherited.
  const status = ok('/status');
  expect(status.detaineesReleased).toEqual({ constructor: 3, israel: 30 });
  expect(typeof status.detaineesReleased.constructor).toBe('number');
  expect(status.ceasefire).toMatchObject({ inEffect: true, since: on(12), agreementId: 'constructor', eventId: ceasefire.id });
  expect(status.releases.map((r: any) => [r.by, r.count])).toEqual([['constructor', 3], ['israel', 30]]);
  const truceDay = ok('/status?asOf=2024-01-12');
  expect(truceDay.detaineesReleased).toEqual({ constructor: 3 });

  // Positions: the issue `constructor` is a stance cell like any other.
  const constructor = ok('/positions/constructor');
  expect(Object.keys(constructor.stances).sort()).toEqual(['constructor', 'hostage-exchange', 'humanitarian-aid', 'temporary-ceasefire']);
  expect(constructor.stances.constructor).toMatchObject({ stance: 'conditional', conditions: ['toString first'], since: on(2), evidence: [softens.id] });
  expect(constructor.stances['hostage-exchange']).toMatchObject({ stance: 'opposes', evidence: [rejectsToString.id] });
  expect(constructor.stances['temporary-ceasefire']).toMatchObject({ stance: 'supports', since: on(3), evidence: [agreesConstructor.id, proposesConstructor.id] });
  expect(constructor.stances['humanitarian-aid']).toMatchObject({ stance: 'supports', evidence: [agreesToString.id] });
  expect(constructor.proposals).toEqual([
    { proposalId: 'constructor', role: 'proposer', status: 'accepted' },
    { proposalId: 'toString', role: 'addressee', status: 'rejected' },
    { proposalId: 'toString', role: 'responder', status: 'rejected' },
  ]);
  expect(constructor.meetings).toEqual([expect.objectContaining({ meetingId: 'constructor', with: ['qatar'], host: 'qatar', mediators: ['qatar'] })]);
  expect(constructor.pressure.received).toEqual([expect.objectContaining({ eventId: pressure.id, by: 'qatar', issue: 'constructor' })]);
  expect(ok('/positions/constructor?totals=true').totals).toEqual({ proposals: 3, agreements: 2, meetings: 1, applied: 0, received: 1 });
  expect(constructor.agreements.map((a: any) => a.agreementId).sort()).toEqual(['constructor', 'toString']);
  expect(ok('/agreements/constructor')).toMatchObject({ agreementId: 'constructor', status: 'signed' });
  expect(ok('/agreements/toString')).toMatchObject({ agreementId: 'toString', status: 'signed' });
  expect(ok('/agreements').agreements.map((a: any) => a.agreementId).sort()).toEqual(['constructor', 'toString']);
  expect(ok('/positions').actors.find((a: any) => a.actor === 'constructor')).toEqual(constructor);

  const firstDay = ok('/positions/constructor?asOf=2024-01-01');
  expect(firstDay.stances).toEqual({ constructor: expect.objectContaining({ stance: 'demands', confidence: 'reported', evidence: [demands.id] }) });

  const qatar = ok('/positions/qatar');
  expect(qatar.stances.constructor).toMatchObject({ stance: 'demands', on: ['constructor'], conditions: ['accept the constructor plan'] });
  expect(qatar.pressure.applied).toEqual([expect.objectContaining({ on: ['constructor'], issue: 'constructor' })]);

  const history = ok('/positions/constructor/history?issue=constructor');
  expect(history.changes.map((c: any) => [c.eventId, c.stance, c.changed])).toEqual([
    [demands.id, 'demands', true],
    [softens.id, 'conditional', true],
  ]);
  expect(history.changes[0]).toMatchObject({ confidence: 'confirmed', sources: [{ outlet: 'Reuters' }, { outlet: 'AP' }] });

  // Proposals: `constructor` and `toString` are on record; other prototype names are not.
  expect(ok('/proposals').proposals.map((p: any) => [p.proposalId, p.status])).toEqual([['constructor', 'accepted'], ['toString', 'rejected']]);
  expect(ok('/proposals/constructor')).toMatchObject({ proposalId: 'constructor', proposer: 'constructor', mediators: ['qatar'], agreementId: 'constructor', status: 'accepted' });
  expect(ok('/proposals/toString')).toMatchObject({
    proposalId: 'toString',
    proposer: 'israel',
    addressedTo: ['constructor'],
    status: 'rejected',
    responses: [expect.objectContaining({ eventId: rejectsToString.id, responder: 'constructor', response: 'rejected' })],
  });
  expect(read['/proposals/hasOwnProperty'].status).toBe(404);
  expect(read['/proposals/valueOf'].status).toBe(404);

  // Timeline and the log.
  const domain = HISTORY.filter((e) => e.type !== 'SourceAdded' && e.type !== 'ReportRetracted' && e !== releasesFour);
  expect(ok('/timeline').events.map((e: any) => e.eventId)).toEqual(domain.map((e) => e.id));
  expect(ok('/timeline?issue=constructor').events.map((e: any) => e.eventId)).toEqual([demands.id, softens.id, meeting.id, pressure.id]);
  expect(ok('/timeline?actor=constructor').events.map((e: any) => e.eventId)).toEqual(
    [demands, softens, proposesConstructor, proposesToString, rejectsToString, meeting, pressure, agreesConstructor, agreesToString, releasesThree].map((e) => e.id),
  );
  const logged = ok('/events?actor=constructor').events.map((e: any) => e.id);
  expect(logged).toEqual(expect.arrayContaining([demands.id, softens.id, proposesConstructor.id, rejectsToString.id, meeting.id, pressure.id, releasesThree.id, releasesFour.id]));
  expect(logged).not.toContain(israelReleases.id);
}

describe('slugs and ids named like Object.prototype members', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
    expect((await app.post('/actors', { slug: 'constructor', name: 'The Constructor', role: 'party' }, ADMIN_KEY)).status).toBe(201);
    expect((await app.post('/issues', { slug: 'constructor', name: 'Construction' }, ADMIN_KEY)).status).toBe(201);
    await story(app).given(HISTORY);
    await app.settled();
  });
  afterAll(() => app.stop());

  it('cannot be __proto__: ids start with a letter or digit, slugs have no underscore', async () => {
    const refused = await app.post('/events', event('ProposalMade', 3, { ...proposesConstructor.data, proposalId: '__proto__' }));
    expect(refused.status).toBe(400);
    expect((await app.post('/actors', { slug: '__proto__', name: 'Proto', role: 'party' }, ADMIN_KEY)).status).toBe(400);
  });

  it('given `constructor` as actor, issue, proposal, meeting and agreement, every projection answers with the data', async () => {
    expectTheStory(await readAll(app));
  });

  it('answers the same after the read models are rebuilt from the log', async () => {
    const live = await readAll(app);
    const generations = async () => (await app.get('/admin/projections', ADMIN_KEY)).body.projections.map((p: any) => [p.projection, p.activeGeneration]);
    const before = new Map(await generations());
    expect((await app.post('/admin/projections/rebuild', {}, ADMIN_KEY)).status).toBe(202);
    await app.rebuilt();
    for (const [projection, generation] of await generations()) expect({ projection, newer: generation > (before.get(projection) as number) }).toEqual({ projection, newer: true });
    const rebuilt = await readAll(app);
    expectTheStory(rebuilt);
    expect(rebuilt).toEqual(live);
  });
});
