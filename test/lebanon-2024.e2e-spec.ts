// A second negotiation, to show the model is general: the November 2024 Israel–Hezbollah
// ceasefire from published reporting (test/fixtures/lebanon-2024-ceasefire.json) — US and
// French mediation, the 60-day arrangement, cabinet approvals, violations that did not end it,
// the extension to 18 February 2025. Its actors and issues are registered first, as a user would.
import { fixture } from './support/fixtures.js';
import { ADMIN_KEY, TestApp } from './support/test-server.js';

const lebanon = fixture('lebanon-2024-ceasefire');
const DEAL = 'israel-lebanon-cessation-2024';

describe('the Israel–Hezbollah ceasefire of November 2024', () => {
  let app: TestApp;
  const read = async (route: string) => {
    const reply = await app.get(route);
    if (reply.status !== 200) throw new Error(`${route}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };

  beforeAll(async () => {
    app = await TestApp.start();
    for (const actor of lebanon.register?.actors ?? []) expect((await app.post('/actors', actor, ADMIN_KEY)).status).toBe(201);
    for (const issue of lebanon.register?.issues ?? []) expect((await app.post('/issues', issue, ADMIN_KEY)).status).toBe(201);
    for (const event of lebanon.events) {
      const reply = await app.post('/events', event);
      if (reply.status !== 201) throw new Error(`${event.id}: ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    await app.settled();
  });
  afterAll(() => app.stop());

  it('on 26 November, as then known: announced, ratified by Israel only, no ceasefire yet; Hezbollah no party to it', async () => {
    const view = '?asOf=2024-11-26&knownAt=2024-11-26';
    const deal = await read(`/agreements/${DEAL}${view}`);
    expect(deal).toMatchObject({ status: 'announced', parties: ['israel', 'lebanon'], mediators: ['us', 'france'], guarantors: ['us', 'france'], ratifiedBy: ['israel'], ceasefire: { inEffect: false } });
    expect(deal.terms.ceasefire).toEqual({ kind: 'temporary', durationDays: 60 });
    expect(deal.phases).toHaveLength(1);
    expect(deal.currentPhase).toBeUndefined();
    expect((await read(`/status${view}`)).ceasefire).toMatchObject({ inEffect: false, violations: [] });

    const israel = await read(`/positions/israel${view}`);
    expect(israel.agreements).toEqual([{ agreementId: DEAL, role: 'party', status: 'announced' }]);
    expect(israel.stances['temporary-ceasefire'].stance).toBe('supports'); // an announced agreement already sets its parties' stances
    expect((await read(`/positions/us${view}`)).agreements).toEqual(expect.arrayContaining([{ agreementId: DEAL, role: 'mediator', status: 'announced' }, { agreementId: DEAL, role: 'guarantor', status: 'announced' }]));
    const hezbollah = await read(`/positions/hezbollah${view}`);
    expect(hezbollah.agreements).toEqual([]);
    expect(hezbollah.stances['lebanon-ceasefire']).toMatchObject({ stance: 'conditional', since: '2024-11-20' }); // Qamati's word, reported the 27th, not yet known
  });

  it('on 9 December, as known the next day: in effect since the 27th, phase 1, three violations that did not end it', async () => {
    const view = '?asOf=2024-12-09&knownAt=2024-12-10';
    const status = await read(`/status${view}`);
    expect(status.ceasefire).toMatchObject({ inEffect: true, since: '2024-11-27', kind: 'agreed', phase: 1, agreementId: DEAL });
    expect(status.ceasefire.violations.map((v: any) => [v.occurredAt, v.by])).toEqual([['2024-11-28', 'israel'], ['2024-12-02', 'hezbollah'], ['2024-12-02', 'israel']]);
    const deal = await read(`/agreements/${DEAL}${view}`);
    expect(deal).toMatchObject({ ratifiedBy: ['israel', 'lebanon'], currentPhase: 1, ceasefire: { inEffect: true, since: '2024-11-27', phase: 1 } });

    const hezbollah = await read(`/positions/hezbollah${view}`);
    expect(hezbollah.stances['lebanon-ceasefire'].stance).toBe('supports');
    expect(hezbollah.stances['israeli-withdrawal'].stance).toBe('demands');
    const naqoura = (await read(`/positions/unifil${view}`)).meetings;
    expect(naqoura).toEqual([expect.objectContaining({ location: expect.objectContaining({ city: 'Naqoura' }), format: 'direct' })]);
  });

  it('on 27 January 2025: the extension is a second version, its terms replacing the first; the pressure carries its deadline', async () => {
    const view = '?asOf=2025-01-27&knownAt=2025-01-28';
    const deal = await read(`/agreements/${DEAL}${view}`);
    expect(deal.versions.map((v: any) => [v.occurredAt, v.status])).toEqual([['2024-11-26', 'announced'], ['2025-01-26', 'announced']]);
    expect(deal).toMatchObject({ status: 'announced', guarantors: ['us', 'france'], terms: { ceasefire: { kind: 'temporary', durationDays: 83 } } });
    expect(deal.phases).toEqual([expect.objectContaining({ phase: 1, durationDays: 83 })]);
    expect((await read(`/status${view}`)).ceasefire.violations).toHaveLength(4);
    // Before the extension was posted, the first version's terms.
    expect((await read(`/agreements/${DEAL}?asOf=2025-01-25`)).terms.ceasefire.durationDays).toBe(60);

    const israel = await read(`/positions/israel${view}`);
    expect(israel.pressure.received).toEqual(expect.arrayContaining([expect.objectContaining({ by: 'hezbollah', issue: 'israeli-withdrawal', deadline: '2025-01-26' })]));
    expect(israel.stances['israeli-withdrawal'].stance).toBe('conditional');
    expect((await read(`/positions/us${view}`)).stances['lebanon-ceasefire'].stance).toBe('demands');
    expect((await read('/agreements')).agreements.map((a: any) => a.agreementId)).toEqual([DEAL]);
  });
});
