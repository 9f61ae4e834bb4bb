// March to July 2024 from published reporting (test/fixtures/talks-2024-mar-jul.json), replayed
// through the API: the Cairo and Doha rounds, Israel's late-April offer, Hamas's 6 May yes to
// the Egyptian-Qatari text, the US outline of 31 May put to both sides, resolution 2735, Hamas's
// June amendments and its July yes-but, Israel's late-July demands.
import { fixture } from './support/fixtures.js';
import { ADMIN_KEY, TestApp } from './support/test-server.js';

const talks = fixture('talks-2024-mar-jul');
const OUTLINE = 'us-outline-2024-05-31';

describe('the 2024 talks, March to July, in v2', () => {
  let app: TestApp;
  const read = async (route: string) => {
    const reply = await app.get(route);
    if (reply.status !== 200) throw new Error(`${route}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const stance = (p: any, issue: string) => p.stances[issue]?.stance;

  beforeAll(async () => {
    app = await TestApp.start();
    for (const actor of talks.register?.actors ?? []) expect((await app.post('/actors', actor, ADMIN_KEY)).status).toBe(201);
    for (const event of talks.events) {
      const reply = await app.post('/events', event);
      if (reply.status !== 201) throw new Error(`${event.id}: ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    await app.settled();
  });
  afterAll(() => app.stop());

  it('on 10 June, as then known: the outline accepted by Israel alone is still tabled, awaiting Hamas; claims leave stances alone', async () => {
    const view = '?asOf=2024-06-10&knownAt=2024-06-10';
    const outline = await read(`/proposals/${OUTLINE}${view}`);
    expect(outline).toMatchObject({ status: 'tabled', awaiting: ['hamas'] });
    expect(Object.keys(outline.answers)).toEqual(['israel']);
    expect(outline.answers.israel.response).toBe('accepted');
    expect((await read(`/proposals/egypt-qatar-2024-05${view}`)).status).toBe('rejected'); // Hamas yes, Israel no: the least advanced
    expect((await read(`/proposals/israel-offer-2024-04${view}`)).status).toBe('considering');

    const israel = await read(`/positions/israel${view}`);
    // Conditional since its answer to the May text; the latest conditions are those of its yes-but of 2 June.
    expect(israel.stances['temporary-ceasefire']).toMatchObject({ stance: 'conditional', since: '2024-05-06' });
    expect(israel.stances['temporary-ceasefire'].conditions).toHaveLength(3);
    expect(israel.stances['temporary-ceasefire'].evidence[0]).toBe(outline.answers.israel.eventId);
    expect(israel.claims['temporary-ceasefire']).toEqual([expect.objectContaining({ by: 'us', stance: 'supports' })]);

    const hamas = await read(`/positions/hamas${view}`);
    expect(stance(hamas, 'temporary-ceasefire')).toBe('supports'); // its own yes of 6 May, not what others say of it
    expect(hamas.claims['temporary-ceasefire'].map((c: any) => [c.by, c.stance])).toEqual([['israel', 'opposes'], ['us', 'undecided']]);
    expect(stance(hamas, 'permanent-ceasefire')).toBe('demands');
  });

  it('on 12 June: Hamas has countered; the envoy’s claim about it is disputed; known only up to 11 June, neither is there', async () => {
    const outline = await read(`/proposals/${OUTLINE}?asOf=2024-06-12&knownAt=2024-06-12`);
    expect(outline).toMatchObject({ status: 'countered', awaiting: [] });
    expect(Object.fromEntries(Object.entries(outline.answers).map(([a, r]: [string, any]) => [a, r.response]))).toEqual({ israel: 'accepted', hamas: 'countered' });

    const hamas = await read('/positions/hamas?asOf=2024-06-12&knownAt=2024-06-12');
    const byUs = hamas.claims['temporary-ceasefire'].find((c: any) => c.by === 'us');
    expect(byUs).toMatchObject({ stance: 'conditional', since: '2024-06-12', confidence: 'disputed' });
    expect(stance(hamas, 'temporary-ceasefire')).toBe('supports'); // a counter leaves the proposal's issues unchanged

    const before = await read('/positions/hamas?asOf=2024-06-12&knownAt=2024-06-11');
    expect(before.claims['temporary-ceasefire'].find((c: any) => c.by === 'us')).toMatchObject({ stance: 'undecided', since: '2024-04-29' });
    const disputed = talks.events.find((e) => e.type === 'ReportDisputed')!.data.eventId;
    expect((await read(`/events/${disputed}`)).disputes).toHaveLength(1);
  });

  it('on 27 July, a report first published on the 28th does not leak back; known on the 28th it does', async () => {
    const asKnown = await read(`/proposals/${OUTLINE}?asOf=2024-07-27&knownAt=2024-07-27`);
    expect(asKnown).toMatchObject({ status: 'accepted', awaiting: [] });
    expect(asKnown.answers.hamas.occurredAt).toBe('2024-07-02/2024-07-03');
    const hamas = await read('/positions/hamas?asOf=2024-07-27&knownAt=2024-07-27');
    expect(hamas.stances['temporary-ceasefire']).toMatchObject({ stance: 'conditional', since: '2024-07-02/2024-07-03' });

    const later = await read(`/proposals/${OUTLINE}?asOf=2024-07-27&knownAt=2024-07-28`);
    expect(later.status).toBe('countered');
    expect(later.answers.israel).toMatchObject({ response: 'countered', occurredAt: '2024-07-27' });
    // Israel's new demands go on its stance only in the view that knows them.
    const countered = later.answers.israel.eventId;
    expect((await read('/positions/israel?asOf=2024-07-27&knownAt=2024-07-28')).stances['temporary-ceasefire'].evidence[0]).toBe(countered);
    expect((await read('/positions/israel?asOf=2024-07-27&knownAt=2024-07-27')).stances['temporary-ceasefire'].evidence).not.toContain(countered);
  });

  it('at the end of July, Hamas’s claim about Israel is listed under Israel, disputed by Israel', async () => {
    const israel = await read('/positions/israel?asOf=2024-07-29&knownAt=2024-07-29');
    expect(israel.claims['temporary-ceasefire'].find((c: any) => c.by === 'hamas')).toMatchObject({ stance: 'conditional', confidence: 'disputed' });
    const history = (await read('/positions/israel/history?issue=temporary-ceasefire')).changes;
    expect(history.filter((c: any) => c.claimedBy).map((c: any) => c.claimedBy)).toEqual(['us', 'hamas']);
    const timeline = (await read('/timeline?actor=israel&from=2024-07-29&to=2024-07-29')).events;
    expect(timeline.map((e: any) => e.type)).toContain('PositionClaimed');
  });
});
