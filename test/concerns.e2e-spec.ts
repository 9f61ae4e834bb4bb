// "Which issues an event concerns" is one rule: GET /timeline?issue= and GET /stream?issue=
// list the same developments for every event type, and the stream sends a correction under the
// issues of the report it corrects.
import { randomUUID } from 'node:crypto';
import { ISSUES } from './support/arbitrary-history.js';
import { openStream } from './support/sse.js';
import { TestApp } from './support/test-server.js';
import { sleep, until } from './support/until.js';

const sources = [{ outlet: 'Reuters', attribution: 'named' }];
const ev = (type: string, data: Record<string, unknown>, day = 20) => ({ id: randomUUID(), type, occurredAt: `2024-01-${day}`, reportedAt: `2024-01-${day}`, sources, data });

const statement = ev('StatementIssued', { actor: 'hamas', stances: [{ issue: 'permanent-ceasefire', stance: 'demands' }], summary: 's' });
const claim = ev('PositionClaimed', { claimant: 'us', about: ['hamas'], stances: [{ issue: 'negotiations', stance: 'supports' }], summary: 'c' });
const proposal = ev('ProposalMade', { proposalId: 'p', proposer: 'israel', addressedTo: ['hamas'], terms: { ceasefire: { kind: 'temporary' }, hostagesReleased: { count: 40 } }, summary: 'p' });
const answer = ev('ProposalResponded', { proposalId: 'p', responder: 'hamas', response: 'considering', summary: 'a' }, 21);
const answerWithStances = ev('ProposalResponded', { proposalId: 'p', responder: 'hamas', response: 'rejected', stances: [{ issue: 'humanitarian-aid', stance: 'demands' }], summary: 'a2' }, 22);
const meeting = ev('MeetingHeld', { participants: [{ actor: 'egypt' }, { actor: 'hamas' }], location: { country: 'Egypt' }, topics: ['negotiations'], summary: 'm' });
const pressure = ev('PressureApplied', { by: 'us', on: ['israel'], issue: 'military-operations', demand: 'd', summary: 'pr' });
const agreement = ev('AgreementReached', { agreementId: 'a', parties: ['israel', 'hamas'], proposalId: 'p', terms: { humanitarianAid: { summary: 'aid' } }, summary: 'ag' }, 23);
const started = ev('CeasefireStarted', { agreementId: 'a', summary: 'cs' }, 24);
const ended = ev('CeasefireEnded', { summary: 'ce' }, 25);
const release = ev('DetaineesReleased', { by: 'hamas', count: 3, summary: 'r' }, 24);
const corroboration = ev('SourceAdded', { eventId: proposal.id, source: { outlet: 'AP', attribution: 'named' } }, 26);
const withdrawal = ev('ReportRetracted', { eventId: corroboration.id, reason: 'wrong outlet' }, 27);
const dispute = ev('ReportDisputed', { eventId: pressure.id, by: 'israel', reason: 'denied' }, 26);

const ALL = [statement, claim, proposal, answer, answerWithStances, meeting, pressure, agreement, started, ended, release, corroboration, withdrawal, dispute];
const CORRECTIONS = new Set(['SourceAdded', 'ReportRetracted', 'ReportDisputed']);

describe('what an event concerns, one rule for the timeline and the stream', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
    expect((await app.post('/events/batch', { events: ALL })).status).toBe(201);
    await app.settled();
  });
  afterAll(() => app.stop());

  it.each(ISSUES)('on %s, they list the same developments', async (issue) => {
    const timeline: string[] = (await app.get(`/timeline?issue=${issue}`)).body.events.map((e: { eventId: string }) => e.eventId);
    const stream = openStream(`${app.url}/stream?issue=${issue}&after=0`);
    const sent = () => stream.frames.filter((f) => f.event === 'appended').map((f) => f.data);
    try {
      // The stream replays the log from the start; wait until it has gone quiet.
      let seen = -1;
      await until('the replay to finish', async () => {
        const now = sent().length;
        const quiet = now === seen;
        seen = now;
        await sleep(150);
        return quiet ? true : undefined;
      });
      const developments = sent().filter((e) => !CORRECTIONS.has(e.type)).map((e) => e.id);
      expect(developments.sort()).toEqual([...timeline].sort());
      for (const correction of sent().filter((e) => CORRECTIONS.has(e.type))) {
        const target = ALL.find((e) => e.id === correction.data.eventId)!;
        const development = CORRECTIONS.has(target.type) ? (target.data as { eventId: string }).eventId : target.id;
        expect(timeline).toContain(development);
      }
    } finally {
      await stream.close();
    }
  });

  it('an answer concerns its proposal’s issues and those it names; a correction what its target concerns', async () => {
    const onHostages = (await app.get('/timeline?issue=hostage-exchange')).body.events.map((e: { eventId: string }) => e.eventId);
    expect(onHostages).toEqual(expect.arrayContaining([proposal.id, answer.id, answerWithStances.id]));
    const onAid = (await app.get('/timeline?issue=humanitarian-aid')).body.events.map((e: { eventId: string }) => e.eventId);
    expect(onAid).toEqual(expect.arrayContaining([answerWithStances.id, agreement.id]));
    expect(onAid).not.toContain(answer.id);
    const onClaims = (await app.get('/timeline?actor=us&issue=negotiations')).body.events.map((e: { eventId: string }) => e.eventId);
    expect(onClaims).toEqual([claim.id]);
    // The dispute names Israel: GET /events?actor=israel finds it beside the pressure it disputes.
    const israel = (await app.get('/events?actor=israel&limit=100')).body.events.map((e: { id: string }) => e.id);
    expect(israel).toEqual(expect.arrayContaining([pressure.id, dispute.id]));
  });
});
