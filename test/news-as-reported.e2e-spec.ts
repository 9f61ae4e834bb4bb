// Contract v2, part 1, as stories through the API: uncertain dates, ranges, answers with
// conditions and stances to a plan put to both sides, claims about another actor, disputes.
import { randomUUID } from 'node:crypto';
import { ADMIN_KEY, TestApp } from './support/test-server.js';

const src = (attribution = 'named', outlet = 'Reuters') => [{ outlet, attribution }];
const ev = (type: string, occurredAt: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id: randomUUID(), type, occurredAt, reportedAt: extra.reportedAt ?? occurredAt.split('/').pop(), sources: src(), data, ...extra });

const plan = ev('ProposalMade', '2024-05-31', {
  proposalId: 'outline',
  proposer: 'us',
  mediators: ['egypt', 'qatar'],
  addressedTo: ['israel', 'hamas'],
  terms: { ceasefire: { kind: 'temporary', durationDays: 42 }, prisonersReleased: { count: { min: 990, max: 1650 } } },
  summary: 'A three-phase outline put to both sides.',
});
const israelYesBut = ev('ProposalResponded', '2024-06-02', { proposalId: 'outline', responder: 'israel', response: 'accepted', conditions: ['all hostages released'], summary: 'Israel accepts, on conditions.' });
const hamasCounter = ev('ProposalResponded', '2024-06-11', {
  proposalId: 'outline',
  responder: 'hamas',
  response: 'rejected',
  terms: { prisonersReleased: { count: 3000 } },
  stances: [{ issue: 'hostage-exchange', stance: 'demands', conditions: ['a full exchange'] }],
  summary: 'Hamas rejects a partial exchange and demands a full one.',
});
const claim = ev('PositionClaimed', '2024-06-12', { claimant: 'us', about: ['hamas'], speaker: { name: 'An envoy' }, stances: [{ issue: 'negotiations', stance: 'supports' }], summary: 'The envoy says Hamas is ready to talk.' });
const dispute = ev('ReportDisputed', '2024-06-13', { eventId: claim.id, by: 'hamas', reason: 'Hamas denies it.' }, { reportedAt: '2024-06-14' });

describe('the news as it is reported', () => {
  let app: TestApp;
  const proposal = async (query = '') => (await app.get(`/proposals/outline${query}`)).body;
  const position = async (actor: string, query = '') => {
    await app.settled();
    return (await app.get(`/positions/${actor}${query}`)).body;
  };

  beforeAll(async () => {
    app = await TestApp.start();
    for (const e of [plan, israelYesBut]) expect((await app.post('/events', e)).status).toBe(201);
    await app.settled();
  });
  afterAll(() => app.stop());

  it('given a plan put to both sides, one side saying "yes, but" leaves it tabled and makes that side conditional', async () => {
    expect(await proposal()).toMatchObject({ status: 'tabled', answers: { israel: { response: 'accepted', eventId: israelYesBut.id, occurredAt: '2024-06-02' } }, awaiting: ['hamas'] });
    expect((await proposal()).terms.prisonersReleased.count).toEqual({ min: 990, max: 1650 });
    const israel = await position('israel');
    expect(israel.stances['temporary-ceasefire']).toMatchObject({ stance: 'conditional', conditions: ['all hostages released'], evidence: [israelYesBut.id] });
    expect(israel.proposals).toContainEqual({ proposalId: 'outline', role: 'addressee', status: 'tabled' });
  });

  it('when the other side rejects a partial exchange demanding a full one, the listed issue takes the listed stance and the rest the default', async () => {
    expect((await app.post('/events', hamasCounter)).status).toBe(201);
    const hamas = await position('hamas');
    expect(hamas.stances['hostage-exchange']).toMatchObject({ stance: 'demands', conditions: ['a full exchange'], terms: { prisonersReleased: { count: 3000 } } });
    expect(hamas.stances['temporary-ceasefire']).toMatchObject({ stance: 'opposes', terms: { prisonersReleased: { count: 3000 } } });
    expect(await proposal()).toMatchObject({ status: 'rejected', awaiting: [] });
    // As of the day before, it was still waiting for Hamas.
    expect(await proposal('?asOf=2024-06-10')).toMatchObject({ status: 'tabled', awaiting: ['hamas'] });
  });

  it('a revision starts the count again; an answer from an actor not addressed is shown but does not count', async () => {
    const revision = ev('ProposalMade', '2024-06-20', { ...plan.data, summary: 'Revised outline.' });
    const qatar = ev('ProposalResponded', '2024-06-21', { proposalId: 'outline', responder: 'qatar', response: 'rejected', summary: 'Qatar has doubts.' });
    const israelAgain = ev('ProposalResponded', '2024-06-22', { proposalId: 'outline', responder: 'israel', response: 'accepted', summary: 'Israel accepts the revision.' });
    for (const e of [revision, qatar, israelAgain]) expect((await app.post('/events', e)).status).toBe(201);
    await app.settled();
    const now = await proposal();
    expect(now).toMatchObject({ status: 'tabled', awaiting: ['hamas'] });
    expect(Object.keys(now.answers).sort()).toEqual(['hamas', 'israel', 'qatar']);
    expect(now.answers.hamas.response).toBe('rejected'); // given before the revision: shown, not counted
    const hamasYes = ev('ProposalResponded', '2024-06-23', { proposalId: 'outline', responder: 'hamas', response: 'accepted', summary: 'Hamas accepts.' });
    expect((await app.post('/events', hamasYes)).status).toBe(201);
    await app.settled();
    expect(await proposal()).toMatchObject({ status: 'accepted', awaiting: [] });
  });

  it("a claim about another actor is listed under it and never sets its own stance; a dispute makes it disputed from the dispute's own report", async () => {
    const own = ev('StatementIssued', '2024-06-01', { actor: 'hamas', stances: [{ issue: 'negotiations', stance: 'opposes' }], summary: 'Hamas will not talk while the war goes on.' });
    for (const e of [own, claim, dispute]) expect((await app.post('/events', e)).status).toBe(201);
    const hamas = await position('hamas');
    expect(hamas.stances.negotiations.stance).toBe('opposes');
    expect(hamas.claims.negotiations).toEqual([expect.objectContaining({ by: 'us', stance: 'supports', since: '2024-06-12', confidence: 'disputed', evidence: [claim.id] })]);
    // Known on the 13th, the dispute (reported on the 14th) is not yet there.
    expect((await position('hamas', '?knownAt=2024-06-13')).claims.negotiations[0].confidence).toBe('reported');
    expect((await position('hamas', '?knownAt=2024-06-11')).claims).toEqual({});

    const history = (await app.get('/positions/hamas/history?issue=negotiations')).body.changes;
    expect(history.map((c: any) => [c.eventId, c.claimedBy])).toEqual([[own.id, undefined], [claim.id, 'us']]);
    const timeline = (await app.get('/timeline?actor=us')).body.events.map((e: any) => e.eventId);
    expect(timeline).toContain(claim.id);
    expect((await app.get('/timeline?actor=hamas')).body.events.map((e: any) => e.eventId)).toContain(claim.id);

    const stored = (await app.get(`/events/${claim.id}`)).body;
    expect(stored).toMatchObject({ confidence: 'disputed', disputes: [{ eventId: dispute.id, by: 'hamas', reason: 'Hamas denies it.', reportedAt: '2024-06-14' }] });
  });

  it('a claimant that names itself among those it speaks about lists its own claim too, beside its stance', async () => {
    // Found by the property test: the walks skipped the claimant's own claim cell.
    const joint = ev('PositionClaimed', '2024-06-12', { claimant: 'qatar', about: ['qatar', 'egypt'], speaker: { name: 'A spokesman' }, stances: [{ issue: 'negotiations', stance: 'supports', conditions: ['talks resume'] }], summary: 'Qatar says both mediators back the talks.' });
    const own = ev('StatementIssued', '2024-06-13', { actor: 'qatar', stances: [{ issue: 'negotiations', stance: 'supports' }], summary: 'Qatar backs the talks.' });
    for (const e of [joint, own]) expect((await app.post('/events', e)).status).toBe(201);
    const qatar = await position('qatar');
    expect(qatar.stances.negotiations).toMatchObject({ stance: 'supports', evidence: [own.id] });
    expect(qatar.claims.negotiations).toEqual([expect.objectContaining({ by: 'qatar', conditions: ['talks resume'], evidence: [joint.id] })]);
    const history = (await app.get('/positions/qatar/history?issue=negotiations')).body.changes;
    expect(history.map((c: any) => [c.eventId, c.claimedBy])).toEqual([[joint.id, 'qatar'], [own.id, undefined]]);
  });

  it('retracting the dispute lifts it, once; a dispute of a correction is refused', async () => {
    const before = await app.eventCount();
    expect((await app.post('/events', ev('ReportDisputed', '2024-06-15', { eventId: dispute.id, reason: 'a dispute of a dispute' }))).body.errors[0].path).toBe('data.eventId');
    expect(await app.eventCount()).toBe(before);
    const lift = () => app.post('/events', ev('ReportRetracted', '2024-06-16', { eventId: dispute.id, reason: 'the denial was withdrawn' }));
    const [a, b] = await Promise.all([lift(), lift()]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const hamas = await position('hamas');
    expect(hamas.claims.negotiations[0].confidence).toBe('reported');
    expect((await position('hamas', '?knownAt=2024-06-15')).claims.negotiations[0].confidence).toBe('disputed');
    expect((await app.get(`/events/${claim.id}`)).body.confidence).toBe('reported');
  });

  it('an uncertain date is kept as sent and counts as its end, for ordering, asOf and the timeline', async () => {
    const interval = ev('StatementIssued', '2024-07-01/2024-07-05', { actor: 'egypt', stances: [{ issue: 'humanitarian-aid', stance: 'demands' }], summary: 'Egypt demands aid, some day that week.' });
    const bound = ev('StatementIssued', '../2024-07-03', { actor: 'egypt', stances: [{ issue: 'humanitarian-aid', stance: 'supports' }], summary: 'Egypt supported aid, on or before the 3rd.' });
    for (const e of [interval, bound]) expect((await app.post('/events', e)).status).toBe(201);
    expect((await app.get(`/events/${interval.id}`)).body.occurredAt).toBe('2024-07-01/2024-07-05');
    const egypt = await position('egypt');
    expect(egypt.stances['humanitarian-aid']).toMatchObject({ stance: 'demands', since: '2024-07-01/2024-07-05' });
    expect((await position('egypt', '?asOf=2024-07-04')).stances['humanitarian-aid']).toMatchObject({ stance: 'supports', since: '../2024-07-03' });
    expect((await position('egypt', '?asOf=2024-07-02')).stances['humanitarian-aid']).toBeUndefined();
    const week = (await app.get('/timeline?actor=egypt&from=2024-07-04&to=2024-07-05')).body.events;
    expect(week.map((e: any) => [e.eventId, e.occurredAt])).toEqual([[interval.id, '2024-07-01/2024-07-05']]);
  });

  it('answers the same after a rebuild', async () => {
    const read = () => Promise.all(['/positions', '/proposals', '/timeline', '/positions?asOf=2024-06-12&knownAt=2024-06-13'].map(async (r) => (await app.get(r)).body));
    const before = await read();
    expect((await app.post('/admin/projections/rebuild', {}, ADMIN_KEY)).status).toBe(202);
    await app.rebuilt();
    expect(await read()).toEqual(before);
  });
});
