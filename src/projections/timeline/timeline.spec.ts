// The timeline as a pure fold: histories replayed with no framework and no database, then cut
// entry by entry with viewTimelineEntry, in the order of the timeline's sort key.
import { fixture } from '../../../test/support/fixtures.js';
import { newsEvents } from '../../../test/support/history.js';
import { endOf, startOf } from '../../catalogue/primitives.js';
import { NOW, type View } from '../evidence.js';
import { replay } from '../projection.js';
import { isEntryKey, timelineProjection, timelineSortKey, type TimelineDoc } from './timeline.fold.js';
import { viewTimelineEntry, type TimelineEntry } from './timeline.view.js';

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** A view as a reader asks for it: bare dates mean the end of that day; unset means now. */
const at = (asOf?: string, knownAt?: string): View => ({ asOf: asOf ? endOf(asOf) : NOW.asOf, knownAt: knownAt ? endOf(knownAt) : NOW.knownAt });

/** GET /timeline as a fold: `from` a bare date counts from its start, `to` to its end, like the controller. */
function timeline(events: unknown[], view: View = NOW, filter: { actor?: string; issue?: string; from?: string; to?: string } = {}): TimelineEntry[] {
  const docs = replay(timelineProjection, newsEvents(events));
  const bounds = { actor: filter.actor, issue: filter.issue, from: filter.from ? startOf(filter.from) : undefined, to: filter.to ? endOf(filter.to) : undefined };
  return [...docs]
    .filter(([key]) => isEntryKey(key))
    .map(([, doc]) => doc as TimelineDoc)
    .sort((a, b) => timelineSortKey(a).localeCompare(timelineSortKey(b)))
    .map((doc) => viewTimelineEntry(doc, view, bounds))
    .filter((e): e is TimelineEntry => e !== null);
}
const ids = (entries: TimelineEntry[]) => entries.map((e) => e.eventId);

/** A statement, reported when it (certainly) occurred unless said otherwise. */
const say = (id: string, actor: string, occurredAt: string, reportedAt = occurredAt.split('/').at(-1)!, sources: unknown[] = [{ outlet: 'Reuters', attribution: 'named' }], issue = 'negotiations') => ({
  id,
  type: 'StatementIssued',
  occurredAt,
  reportedAt,
  sources,
  data: { actor, stances: [{ issue, stance: 'supports' }], summary: `${actor} on ${occurredAt}` },
});

const correction = (type: 'SourceAdded' | 'ReportRetracted' | 'ReportDisputed', id: string, eventId: string, occurredAt: string, reportedAt = occurredAt) => ({
  id,
  type,
  occurredAt,
  reportedAt,
  sources: [{ outlet: 'AP', attribution: 'named' }],
  data:
    type === 'SourceAdded'
      ? { eventId, source: { outlet: 'AP', attribution: 'named' } }
      : type === 'ReportDisputed'
        ? { eventId, by: 'hamas', reason: 'denied by a Hamas spokesman' }
        : { eventId, reason: 'misreported' },
});

describe('timeline fold', () => {
  describe('order', () => {
    it('given events posted out of order, then they are listed by when they occurred, ties by position', () => {
      const events = [say(ID(1), 'hamas', '2024-03-03'), say(ID(2), 'israel', '2024-03-01'), say(ID(3), 'qatar', '2024-03-03'), say(ID(4), 'egypt', '2024-03-02')];
      expect(ids(timeline(events))).toEqual([ID(2), ID(4), ID(1), ID(3)]);
      expect(timeline(events).map((e) => e.position)).toEqual([20, 40, 10, 30]);
    });

    it('given a day and an instant later that day, then the day comes first, from its first moment', () => {
      const events = [say(ID(1), 'hamas', '2024-03-03T09:00:00Z'), say(ID(2), 'israel', '2024-03-03')];
      expect(ids(timeline(events))).toEqual([ID(2), ID(1)]);
    });

    it('given a late report of an earlier day, then it is invisible before its reportedAt and listed at its own date after', () => {
      const events = [say(ID(1), 'hamas', '2024-03-05'), say(ID(2), 'hamas', '2024-03-02', '2024-03-08')];
      expect(ids(timeline(events, at(undefined, '2024-03-07')))).toEqual([ID(1)]);
      expect(ids(timeline(events, at(undefined, '2024-03-08')))).toEqual([ID(2), ID(1)]);
      expect(timeline(events)[0]).toMatchObject({ eventId: ID(2), occurredAt: '2024-03-02', reportedAt: '2024-03-08' });
    });
  });

  describe('uncertain dates count as their end', () => {
    const events = [
      say(ID(1), 'egypt', '2024-03-05'),
      say(ID(2), 'hamas', '2024-03-01/2024-03-05'),
      say(ID(3), 'qatar', '2024-03-05'),
      say(ID(4), 'israel', '../2024-03-10'),
      say(ID(5), 'us', '2024-03-04'),
      say(ID(6), 'us', '2024-03-11'),
    ];

    it('given an interval and an upper bound, then each is shown as sent and ordered exactly as its end sent alone', () => {
      const entries = timeline(events);
      expect(ids(entries)).toEqual([ID(5), ID(1), ID(2), ID(3), ID(4), ID(6)]);
      expect(entries.find((e) => e.eventId === ID(2))!.occurredAt).toBe('2024-03-01/2024-03-05');
      expect(entries.find((e) => e.eventId === ID(4))!.occurredAt).toBe('../2024-03-10');
    });

    it('given asOf inside the interval, then the event has not certainly occurred yet', () => {
      expect(ids(timeline(events, at('2024-03-04')))).toEqual([ID(5)]);
      expect(ids(timeline(events, at('2024-03-05')))).toEqual([ID(5), ID(1), ID(2), ID(3)]);
      expect(ids(timeline(events, at('2024-03-09')))).not.toContain(ID(4));
      expect(ids(timeline(events, at('2024-03-10')))).toContain(ID(4));
    });

    it('given from and to, then an uncertain date is filtered by its end', () => {
      expect(ids(timeline(events, NOW, { to: '2024-03-04' }))).toEqual([ID(5)]);
      expect(ids(timeline(events, NOW, { from: '2024-03-02', to: '2024-03-04' }))).toEqual([ID(5)]);
      expect(ids(timeline(events, NOW, { from: '2024-03-05', to: '2024-03-05' }))).toEqual([ID(1), ID(2), ID(3)]);
      expect(ids(timeline(events, NOW, { from: '2024-03-06' }))).toEqual([ID(4), ID(6)]);
    });

    it('given an interval ending at an instant, then it orders at that instant', () => {
      const withInstant = [say(ID(1), 'hamas', '2024-03-05T12:00:00Z'), say(ID(2), 'israel', '2024-03-04/2024-03-05T08:00:00Z'), say(ID(3), 'qatar', '2024-03-05')];
      expect(ids(timeline(withInstant))).toEqual([ID(3), ID(2), ID(1)]);
      expect(timeline(withInstant)[1].occurredAt).toBe('2024-03-04/2024-03-05T08:00:00Z');
    });
  });

  describe('who and what each entry concerns', () => {
    const named = [{ outlet: 'Reuters', attribution: 'named' }];

    it('given a claim by the US about hamas and israel, then it is listed under the claimant and every actor it is about', () => {
      const claim = {
        id: ID(1),
        type: 'PositionClaimed',
        occurredAt: '2024-06-12',
        reportedAt: '2024-06-12',
        sources: named,
        data: { claimant: 'us', about: ['hamas', 'israel'], speaker: { name: 'Antony Blinken', title: 'Secretary of State' }, stances: [{ issue: 'temporary-ceasefire', stance: 'conditional', conditions: ['changes'] }], summary: 'Blinken on the answers' },
      };
      expect(timeline([claim])[0]).toMatchObject({ type: 'PositionClaimed', actors: ['us', 'hamas', 'israel'], issues: ['temporary-ceasefire'] });
      for (const actor of ['us', 'hamas', 'israel']) expect(ids(timeline([claim], NOW, { actor }))).toEqual([ID(1)]);
      expect(timeline([claim], NOW, { actor: 'qatar' })).toEqual([]);
      expect(ids(timeline([claim], NOW, { issue: 'temporary-ceasefire' }))).toEqual([ID(1)]);
    });

    it('given a proposal and an answer to it, then the answer concerns the proposal’s issues and those it names itself', () => {
      const events = [
        { id: ID(1), type: 'ProposalMade', occurredAt: '2024-05-01', reportedAt: '2024-05-01', sources: named, data: { proposalId: 'plan', proposer: 'egypt', mediators: ['qatar'], addressedTo: ['israel', 'hamas'], terms: { ceasefire: { kind: 'temporary', durationDays: 42 }, hostagesReleased: { count: 33 } }, summary: 'the plan' } },
        { id: ID(2), type: 'ProposalResponded', occurredAt: '2024-05-02', reportedAt: '2024-05-02', sources: named, data: { proposalId: 'plan', responder: 'hamas', response: 'rejected', stances: [{ issue: 'permanent-ceasefire', stance: 'demands' }], summary: 'no, an end of the war' } },
      ];
      const [made, answered] = timeline(events);
      expect(made).toMatchObject({ actors: ['egypt', 'qatar', 'israel', 'hamas'], issues: ['temporary-ceasefire', 'hostage-exchange'] });
      expect(answered.actors).toEqual(['hamas']);
      expect([...answered.issues].sort()).toEqual(['hostage-exchange', 'permanent-ceasefire', 'temporary-ceasefire']);
      expect(ids(timeline(events, NOW, { issue: 'hostage-exchange' }))).toEqual([ID(1), ID(2)]);
      expect(ids(timeline(events, NOW, { actor: 'hamas', issue: 'permanent-ceasefire' }))).toEqual([ID(2)]);
      expect(ids(timeline(events, NOW, { actor: 'israel' }))).toEqual([ID(1)]);
    });

    it('given a meeting, pressure and a ceasefire, then each lists the actors taking part and the issues it names', () => {
      const events = [
        { id: ID(1), type: 'MeetingHeld', occurredAt: '2024-05-01', reportedAt: '2024-05-01', sources: named, data: { participants: [{ actor: 'hamas' }, { actor: 'egypt' }], host: 'qatar', location: { city: 'Doha', country: 'Qatar' }, topics: ['hostage-exchange'], summary: 'talks in Doha' } },
        { id: ID(2), type: 'PressureApplied', occurredAt: '2024-05-02', reportedAt: '2024-05-02', sources: named, data: { by: 'us', on: ['israel'], issue: 'military-operations', demand: 'no Rafah operation', summary: 'US warning' } },
        { id: ID(3), type: 'CeasefireStarted', occurredAt: '2024-05-03', reportedAt: '2024-05-03', sources: named, data: { summary: 'the guns fall silent' } },
      ];
      expect(timeline(events).map((e) => [e.type, e.actors, e.issues])).toEqual([
        ['MeetingHeld', ['hamas', 'egypt', 'qatar'], ['hostage-exchange']],
        ['PressureApplied', ['us', 'israel'], ['military-operations']],
        ['CeasefireStarted', [], []],
      ]);
    });
  });

  describe('corrections', () => {
    it('given a report, when it is retracted, then its entry is gone from the retraction’s reportedAt on', () => {
      const events = [say(ID(1), 'hamas', '2024-03-01'), say(ID(2), 'hamas', '2024-03-02'), correction('ReportRetracted', ID(3), ID(2), '2024-03-04')];
      expect(ids(timeline(events))).toEqual([ID(1)]);
      expect(ids(timeline(events, at(undefined, '2024-03-03')))).toEqual([ID(1), ID(2)]);
    });

    it('given an anonymous report, when another outlet corroborates it, then it becomes confirmed from the corroboration on, with both sources', () => {
      const events = [say(ID(1), 'qatar', '2024-03-01', '2024-03-01', [{ outlet: 'Politico', attribution: 'anonymous' }]), correction('SourceAdded', ID(2), ID(1), '2024-03-03')];
      expect(timeline(events)).toEqual([expect.objectContaining({ eventId: ID(1), confidence: 'confirmed', sources: [{ outlet: 'Politico', attribution: 'anonymous' }, { outlet: 'AP', attribution: 'named' }] })]);
      expect(timeline(events, at(undefined, '2024-03-02'))[0]).toMatchObject({ confidence: 'unconfirmed', sources: [{ outlet: 'Politico', attribution: 'anonymous' }] });
    });

    it('given a confirmed report, when it is disputed, then it is disputed from the dispute on, still listed, until the dispute is retracted', () => {
      const official = [{ outlet: 'Reuters', attribution: 'official' }];
      const events = [
        say(ID(1), 'israel', '2024-03-01', '2024-03-01', official),
        correction('ReportDisputed', ID(2), ID(1), '2024-03-03'),
        correction('SourceAdded', ID(3), ID(1), '2024-03-04'),
        correction('ReportRetracted', ID(4), ID(2), '2024-03-06'),
      ];
      const confidence = (view: View) => timeline(events, view).find((e) => e.eventId === ID(1))?.confidence;
      expect(confidence(at(undefined, '2024-03-02'))).toBe('confirmed');
      expect(confidence(at(undefined, '2024-03-03'))).toBe('disputed');
      expect(confidence(at('2024-03-02', '2024-03-03'))).toBe('confirmed');
      // Corroboration does not lift a dispute; retracting the dispute does.
      expect(confidence(at(undefined, '2024-03-05'))).toBe('disputed');
      expect(confidence(NOW)).toBe('confirmed');
    });

    it('given the 2024 talks, Blinken’s claim about hamas is listed under hamas and disputed from the day hamas denied it', () => {
      const talks = fixture('talks-2024-mar-jul').events;
      const BLINKEN = 'bdce5381-e1ff-4e0e-ac8a-dcbbb787de19';
      const underHamas = (view: View) => timeline(talks, view, { actor: 'hamas' }).find((e) => e.eventId === BLINKEN);
      expect(underHamas(at('2024-06-11', '2024-06-11'))).toBeUndefined();
      expect(underHamas(at('2024-06-12', '2024-06-12'))).toMatchObject({ type: 'PositionClaimed', actors: ['us', 'hamas'], confidence: 'disputed' });
      expect(ids(timeline(talks, NOW, { actor: 'us' }))).toContain(BLINKEN);
    });
  });
});
