// The founding article, replayed through the HTTP API: every row of the contract's
// "History in tests" table.
import { fixture } from './support/fixtures.js';
import { story } from './support/story.js';
import { TestApp } from './support/test-server.js';

const founding = fixture('founding-week');
const DRAFT = 'israel-draft-2023-12';

describe('the founding week (18–20 December 2023), replayed through POST /events', () => {
  let app: TestApp;
  let positions: Record<string, any>;

  beforeAll(async () => {
    app = await TestApp.start();
    const s = story(app);
    await s.given(founding.events);
    positions = {};
    for (const actor of ['israel', 'hamas', 'egypt', 'qatar', 'us']) positions[actor] = await s.then(actor);
  });
  afterAll(() => app.stop());

  it('stores every development once', async () => {
    expect(await app.eventCount()).toBe(founding.events.length);
  });

  it('israel supports a temporary ceasefire and proposed its draft', () => {
    expect(['supports', 'conditional']).toContain(positions.israel.stances['temporary-ceasefire'].stance);
    expect(positions.israel.proposals).toContainEqual(expect.objectContaining({ proposalId: DRAFT, role: 'proposer' }));
  });

  it('the draft is about 7 days for about 40 hostages: women, children, medical cases', async () => {
    const { status, body } = await app.get(`/proposals/${DRAFT}`);
    expect(status).toBe(200);
    expect(body.proposer).toBe('israel');
    expect(body.terms.ceasefire).toEqual({ kind: 'temporary', durationDays: 7 });
    expect(body.terms.hostagesReleased.count).toBe(40);
    expect(body.terms.hostagesReleased.categories).toEqual(expect.arrayContaining(['women', 'children']));
    expect(body.terms.hostagesReleased.categories.join(' ')).toMatch(/medical/);
  });

  it('israel opposes a permanent ceasefire: the war ends only with all hostages freed and Hamas destroyed', () => {
    const cell = positions.israel.stances['permanent-ceasefire'];
    expect(cell.stance).toBe('opposes');
    expect(cell.conditions.join(' ')).toMatch(/hostages/i);
  });

  it('hamas opposes a temporary ceasefire and demands a permanent one', () => {
    expect(positions.hamas.stances['temporary-ceasefire'].stance).toBe('opposes');
    expect(positions.hamas.stances['permanent-ceasefire'].stance).toBe('demands');
  });

  it('hamas refuses exchange talks while the war goes on', () => {
    expect(['opposes', 'conditional']).toContain(positions.hamas.stances.negotiations.stance);
  });

  it('the us demands that israel scale down its military operations', () => {
    const cell = positions.us.stances['military-operations'];
    expect(cell.stance).toBe('demands');
    expect(cell.on).toEqual(['israel']);
    expect(positions.israel.pressure.received).toContainEqual(expect.objectContaining({ by: 'us', issue: 'military-operations' }));
  });

  it('lists the Warsaw meeting of 18 December under the us, qatar and israel', () => {
    for (const actor of ['us', 'qatar', 'israel']) {
      const warsaw = positions[actor].meetings.find((m: any) => m.location.city === 'Warsaw');
      expect(warsaw).toMatchObject({ occurredAt: '2023-12-18' });
    }
    expect(positions.hamas.meetings.some((m: any) => m.location.city === 'Warsaw')).toBe(false);
  });

  it('lists the Cairo meeting of 20 December under egypt and hamas, egypt hosting', () => {
    for (const actor of ['egypt', 'hamas']) {
      const cairo = positions[actor].meetings.find((m: any) => m.location.city === 'Cairo');
      expect(cairo).toMatchObject({ occurredAt: '2023-12-20', host: 'egypt' });
      expect(cairo.mediators).toContain('egypt');
    }
  });

  it("israel's draft rests on anonymous sources and is only drafted", async () => {
    const { body } = await app.get(`/proposals/${DRAFT}`);
    expect(['unconfirmed', 'reported']).toContain(body.confidence);
    expect(body.status).toBe('drafted');
    expect(positions.israel.proposals.find((p: any) => p.proposalId === DRAFT).status).toBe('drafted');
  });

  it('answers GET /positions for every actor with the log position it reflects', async () => {
    const { body } = await app.get('/positions');
    expect(body.actors.map((a: any) => a.actor).sort()).toEqual(['egypt', 'hamas', 'israel', 'qatar', 'us']);
    expect(body.position).toBeGreaterThan(0);
  });

  it('orders the timeline by occurrence', async () => {
    const { body } = await app.get('/timeline');
    const dates = body.events.map((e: any) => e.occurredAt);
    expect(dates).toEqual([...dates].sort());
    expect(body.events).toHaveLength(founding.events.length);
    const cairo = await app.get('/timeline?actor=egypt');
    expect(cairo.body.events.map((e: any) => e.type)).toEqual(['MeetingHeld']);
  });

  it('replaying the same history again changes nothing (ids are idempotency keys)', async () => {
    const replies = await story(app).given(founding.events);
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(await app.eventCount()).toBe(founding.events.length);
  });
});
