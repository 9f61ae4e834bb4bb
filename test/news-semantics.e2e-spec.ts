// The founding week, then what came after: a late report, a corroboration and a retraction —
// asserted through the HTTP API at several (asOf, knownAt) points.
import { fixture } from './support/fixtures.js';
import { story, type Story } from './support/story.js';
import { ADMIN_KEY, TestApp } from './support/test-server.js';
import { sleep } from './support/until.js';

const founding = fixture('founding-week').events;
const later = fixture('founding-week-later').events;
const WARSAW = 'd17fd041-bd2d-449e-ae05-087d39680d17';
const LATE = later[0].id;
const RUMOUR = later[2].id;
const RETRACTION = later[3].id;

describe('news semantics over the founding week', () => {
  let app: TestApp;
  let s: Story;

  beforeAll(async () => {
    app = await TestApp.start();
    s = story(app);
    await s.given([...founding, ...later]);
  });
  afterAll(() => app.stop());

  describe('a late report', () => {
    it('does not overwrite the newer stance', async () => {
      const hamas = await s.then('hamas');
      expect(hamas.stances.negotiations.stance).toBe('conditional');
      expect(hamas.stances.negotiations.evidence).not.toContain(LATE);
    });

    it('answers for the day it happened once it is known', async () => {
      expect((await s.then('hamas', { asOf: '2023-12-18' })).stances.negotiations.stance).toBe('opposes');
      expect((await s.then('hamas', { asOf: '2023-12-18', knownAt: '2023-12-21' })).stances.negotiations).toBeUndefined();
    });

    it('appears in the history of the cell and in the timeline at its own date', async () => {
      const history = await app.get('/positions/hamas/history?issue=negotiations');
      expect(history.body.changes.map((c: any) => [c.eventId, c.stance, c.changed])).toEqual([
        [LATE, 'opposes', true],
        [founding[4].id, 'conditional', true],
      ]);
      const timeline = await app.get('/timeline?actor=hamas');
      expect(timeline.body.events[0]).toMatchObject({ eventId: LATE, occurredAt: '2023-12-17', reportedAt: '2023-12-22' });
    });
  });

  describe('a corroboration', () => {
    it('raises the Warsaw meeting to confirmed from its reportedAt on, everywhere it is shown', async () => {
      expect((await app.get(`/events/${WARSAW}`)).body.confidence).toBe('confirmed');
      const now = (await app.get('/timeline')).body.events.find((e: any) => e.eventId === WARSAW);
      expect(now.confidence).toBe('confirmed');
      expect(now.sources.map((x: any) => x.outlet)).toEqual(['Reuters', 'Axios']);
      const before = (await app.get('/timeline?knownAt=2023-12-20')).body.events.find((e: any) => e.eventId === WARSAW);
      expect(before.confidence).toBe('unconfirmed');
    });
  });

  describe('a retraction', () => {
    it('makes the cell fall back to the previous evidence', async () => {
      const hamas = await s.then('hamas');
      expect(hamas.stances['temporary-ceasefire'].stance).toBe('opposes');
      expect((await app.get(`/events/${RUMOUR}`)).body).toMatchObject({ retracted: true, retractedBy: RETRACTION });
    });

    it('still counts as known before the retraction', async () => {
      const hamas = await s.then('hamas', { knownAt: '2023-12-21' });
      expect(hamas.stances['temporary-ceasefire']).toMatchObject({ stance: 'conditional', evidence: [RUMOUR] });
      const timeline = await app.get('/timeline?knownAt=2023-12-21&actor=hamas');
      expect(timeline.body.events.map((e: any) => e.eventId)).toContain(RUMOUR);
      expect((await app.get('/timeline?actor=hamas')).body.events.map((e: any) => e.eventId)).not.toContain(RUMOUR);
    });

    it('is kept in the history, marked retracted', async () => {
      const history = await app.get('/positions/hamas/history?issue=temporary-ceasefire');
      expect(history.body.changes.find((c: any) => c.eventId === RUMOUR)).toMatchObject({ retracted: true, changed: false });
    });
  });

  it('as of 19 December known on 21 December, Hamas had not yet met Egypt in Cairo', async () => {
    const hamas = await s.then('hamas', { asOf: '2023-12-19', knownAt: '2023-12-21' });
    expect(hamas.meetings).toEqual([]);
    expect(hamas.stances['permanent-ceasefire']).toBeUndefined();
    expect(hamas.stances.negotiations.stance).toBe('conditional');
    const egypt = await s.then('egypt', { asOf: '2023-12-20' });
    expect(egypt.meetings.map((m: any) => m.location.city)).toEqual(['Cairo']);
  });

  it('a rebuild replays the whole log into the same answers, and reads keep answering meanwhile', async () => {
    const before = await Promise.all(['/positions', '/proposals', '/timeline', '/status', '/positions?asOf=2023-12-19&knownAt=2023-12-21'].map((r) => app.get(r)));
    const started = await app.post('/admin/projections/rebuild', {}, ADMIN_KEY);
    expect(started.status).toBe(202);
    // Read throughout the rebuild (at least once), until it has switched over and caught up.
    let rebuilding = true;
    const readsMeanwhile = async () => {
      do {
        const read = await app.get('/positions/hamas');
        expect(read.status).toBe(200);
        expect(read.body.stances['permanent-ceasefire'].stance).toBe('demands');
        await sleep(20);
      } while (rebuilding);
    };
    await Promise.all([app.rebuilt().finally(() => (rebuilding = false)), readsMeanwhile()]);
    const after = await Promise.all(['/positions', '/proposals', '/timeline', '/status', '/positions?asOf=2023-12-19&knownAt=2023-12-21'].map((r) => app.get(r)));
    expect(after.map((r) => r.body)).toEqual(before.map((r) => r.body));
  });

  it('writes that arrive during a rebuild are not lost, and reads answer throughout', async () => {
    expect((await app.post('/admin/projections/rebuild', {}, ADMIN_KEY)).status).toBe(202);
    const stances = ['supports', 'opposes', 'conditional'];
    const writes = Array.from({ length: 30 }, (_, i) => ({
      type: 'StatementIssued',
      occurredAt: `2023-12-23T10:${String(i).padStart(2, '0')}:00Z`,
      sources: [{ outlet: 'Reuters', attribution: 'named' }],
      data: { actor: 'qatar', stances: [{ issue: 'negotiations', stance: stances[i % 3] }], summary: `qatar ${i}` },
    }));
    const [posted] = await Promise.all([
      Promise.all(writes.map((w) => app.post('/events', w))),
      (async () => {
        for (let i = 0; i < 20; i++) expect((await app.get('/positions/qatar')).status).toBe(200);
      })(),
    ]);
    expect(posted.every((r) => r.status === 201)).toBe(true);
    await app.rebuilt();
    const qatar = await s.then('qatar');
    expect(qatar.stances.negotiations).toMatchObject({ stance: stances[29 % 3], summary: 'qatar 29' });
    const history = await app.get('/positions/qatar/history?issue=negotiations');
    expect(history.body.changes).toHaveLength(30);
  });

  it('only an admin may rebuild', async () => {
    expect((await app.post('/admin/projections/rebuild', {})).status).toBe(403);
  });
});
