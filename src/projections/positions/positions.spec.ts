// Positions as a pure fold: histories replayed with no framework and no database.
import { fixture } from '../../../test/support/fixtures.js';
import { newsEvents } from '../../../test/support/history.js';
import { NOW, type View } from '../evidence.js';
import { replay } from '../projection.js';
import { positionsProjection, type ActorEntry } from './positions.fold.js';
import { DEFAULT_LIST_LIMIT, viewActor } from './positions.view.js';

const founding = fixture('founding-week').events;
const roles = new Map([['israel', 'party'], ['hamas', 'party'], ['egypt', 'mediator'], ['qatar', 'mediator'], ['us', 'mediator']]);
const day = (d: string) => Date.parse(`${d}T23:59:59.999Z`);

function positionOf(events: unknown[], actor: string, view: View = NOW, limit?: number, withTotals = false) {
  const docs = replay(positionsProjection, newsEvents(events));
  const info = { slug: actor, name: actor, role: (roles.get(actor) ?? 'party') as 'party' | 'mediator' };
  const entries = [...docs].filter(([key]) => key.startsWith(`${actor}/`)).map(([, doc]) => doc as ActorEntry);
  return viewActor(info, entries, view, roles, () => 'tabled', () => 'signed', limit, withTotals);
}

const say = (id: string, actor: string, issue: string, stance: string, occurredAt: string, reportedAt: string, attribution = 'named', outlet = 'Reuters') => ({
  id,
  type: 'StatementIssued',
  occurredAt,
  reportedAt,
  sources: [{ outlet, attribution }],
  data: { actor, stances: [{ issue, stance }], summary: `${actor} ${stance} ${issue}` },
});

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('positions fold', () => {
  it('given the founding week, hamas demands a permanent ceasefire and opposes a temporary one', () => {
    const hamas = positionOf(founding, 'hamas');
    expect(hamas.stances['permanent-ceasefire'].stance).toBe('demands');
    expect(hamas.stances['temporary-ceasefire'].stance).toBe('opposes');
  });

  it('given the founding week as of 19 December, the Cairo meeting of the 20th has not happened yet', () => {
    const hamas = positionOf(founding, 'hamas', { asOf: day('2023-12-19'), knownAt: NOW.knownAt });
    expect(hamas.meetings).toEqual([]);
    expect(hamas.stances['permanent-ceasefire']).toBeUndefined();
  });

  it('a late report about an earlier day does not overwrite a newer stance, but joins the history', () => {
    const events = [say(ID(1), 'hamas', 'negotiations', 'opposes', '2023-12-20', '2023-12-20'), say(ID(2), 'hamas', 'negotiations', 'conditional', '2023-12-18', '2023-12-22')];
    const now = positionOf(events, 'hamas');
    expect(now.stances.negotiations).toMatchObject({ stance: 'opposes', since: '2023-12-20', evidence: [ID(1)] });
    const asOf19 = positionOf(events, 'hamas', { asOf: day('2023-12-19'), knownAt: NOW.knownAt });
    expect(asOf19.stances.negotiations.stance).toBe('conditional');
    const knownOn21 = positionOf(events, 'hamas', { asOf: day('2023-12-19'), knownAt: day('2023-12-21') });
    expect(knownOn21.stances.negotiations).toBeUndefined();
  });

  it('ties on occurredAt fall to the later position', () => {
    const events = [say(ID(1), 'israel', 'negotiations', 'supports', '2023-12-19', '2023-12-19'), say(ID(2), 'israel', 'negotiations', 'opposes', '2023-12-19', '2023-12-19')];
    expect(positionOf(events, 'israel').stances.negotiations.stance).toBe('opposes');
  });

  it('a retraction makes the cell fall back to the previous evidence, from its own reportedAt on', () => {
    const events = [
      say(ID(1), 'hamas', 'hostage-exchange', 'opposes', '2023-12-18', '2023-12-18'),
      say(ID(2), 'hamas', 'hostage-exchange', 'supports', '2023-12-19', '2023-12-19'),
      { type: 'ReportRetracted', occurredAt: '2023-12-21', reportedAt: '2023-12-21', sources: [{ outlet: 'Reuters', attribution: 'official' }], data: { eventId: ID(2), reason: 'misreported' } },
    ];
    expect(positionOf(events, 'hamas').stances['hostage-exchange']).toMatchObject({ stance: 'opposes', evidence: [ID(1)] });
    const before = positionOf(events, 'hamas', { asOf: NOW.asOf, knownAt: day('2023-12-20') });
    expect(before.stances['hostage-exchange']).toMatchObject({ stance: 'supports', evidence: [ID(2)] });
  });

  it('a corroborating source raises the confidence of the stance resting on it, from its reportedAt on', () => {
    const events = [
      say(ID(1), 'qatar', 'negotiations', 'supports', '2023-12-18', '2023-12-18', 'anonymous', 'Politico'),
      { type: 'SourceAdded', occurredAt: '2023-12-20', reportedAt: '2023-12-20', sources: [{ outlet: 'AP', attribution: 'named' }], data: { eventId: ID(1), source: { outlet: 'AP', attribution: 'named' } } },
    ];
    expect(positionOf(events, 'qatar').stances.negotiations.confidence).toBe('confirmed');
    expect(positionOf(events, 'qatar', { asOf: NOW.asOf, knownAt: day('2023-12-19') }).stances.negotiations.confidence).toBe('unconfirmed');
  });

  it('evidence lists the unbroken run of agreeing reports, newest first, and since is its start', () => {
    const events = [
      say(ID(1), 'us', 'humanitarian-aid', 'opposes', '2023-12-10', '2023-12-10'),
      say(ID(2), 'us', 'humanitarian-aid', 'demands', '2023-12-15', '2023-12-15'),
      say(ID(3), 'us', 'humanitarian-aid', 'demands', '2023-12-18', '2023-12-18'),
    ];
    expect(positionOf(events, 'us').stances['humanitarian-aid']).toMatchObject({ stance: 'demands', since: '2023-12-15', evidence: [ID(3), ID(2)] });
  });

  it('a rejected proposal makes the responder oppose the issues its terms touch', () => {
    const events = [
      { type: 'ProposalMade', occurredAt: '2023-12-19', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { proposalId: 'p', proposer: 'egypt', addressedTo: ['hamas', 'israel'], terms: { ceasefire: { kind: 'temporary', durationDays: 14 }, prisonersReleased: { count: 100 } }, summary: 'Egyptian plan' } },
      { type: 'ProposalResponded', occurredAt: '2023-12-20', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { proposalId: 'p', responder: 'israel', response: 'rejected', summary: 'no' } },
    ];
    const israel = positionOf(events, 'israel');
    expect(israel.stances['temporary-ceasefire'].stance).toBe('opposes');
    expect(israel.stances['hostage-exchange'].stance).toBe('opposes');
    expect(israel.proposals.map((p) => p.role).sort()).toEqual(['addressee', 'responder']);
    expect(positionOf(events, 'egypt').stances['temporary-ceasefire'].stance).toBe('supports');
  });

  it('lists and evidence hold the latest 10 by default, with the full counts beside them', () => {
    const days = Array.from({ length: 12 }, (_, i) => `2023-12-${String(i + 1).padStart(2, '0')}`);
    const events = days.flatMap((d, i) => [
      say(ID(i + 1), 'qatar', 'negotiations', 'supports', d, d),
      { type: 'MeetingHeld', occurredAt: d, reportedAt: d, sources: [{ outlet: 'AP', attribution: 'named' }], data: { participants: [{ actor: 'qatar' }, { actor: 'hamas' }], location: { country: 'Qatar' }, summary: `talks ${d}` } },
    ]);
    expect(DEFAULT_LIST_LIMIT).toBe(10);
    const cut = positionOf(events, 'qatar');
    expect(cut.meetings.map((m) => m.occurredAt)).toEqual(days.slice(2));
    expect(cut.totals).toBeUndefined();
    expect(positionOf(events, 'qatar', NOW, undefined, true).totals?.meetings).toBe(12);
    expect(cut.stances.negotiations).toMatchObject({ evidence: days.map((_, i) => ID(i + 1)).reverse().slice(0, 10), evidenceTotal: 12 });
    const all = positionOf(events, 'qatar', NOW, 20);
    expect(all.meetings).toHaveLength(12);
    expect(all.stances.negotiations.evidence).toHaveLength(12);
    expect(all.stances.negotiations.evidenceTotal).toBeUndefined();
  });
});
