// Status as a pure fold: histories replayed with no framework and no database, then cut by
// viewStatus for one (asOf, knownAt).
import { fixture } from '../../../test/support/fixtures.js';
import { newsEvents } from '../../../test/support/history.js';
import { endOf } from '../../catalogue/primitives.js';
import { NOW, type View } from '../evidence.js';
import { replay } from '../projection.js';
import { statusProjection, viewStatus, type StatusDoc } from './status.fold.js';

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** A view as a reader asks for it: bare dates mean the end of that day; unset means now. */
const at = (asOf?: string, knownAt?: string): View => ({ asOf: asOf ? endOf(asOf) : NOW.asOf, knownAt: knownAt ? endOf(knownAt) : NOW.knownAt });

function status(events: unknown[], view: View = NOW) {
  const docs = replay(statusProjection, newsEvents(events)) as Map<string, StatusDoc>;
  return viewStatus([...docs.values()], view);
}

const official = [{ outlet: 'Reuters', attribution: 'official' }];
const event = (id: string, type: string, occurredAt: string, data: Record<string, unknown>, reportedAt = occurredAt.split('/').at(-1)!) => ({ id, type, occurredAt, reportedAt, sources: official, data });

// The November 2023 truce: agreed on the 22nd, in force on the 24th, extended, over on 1 December.
const DEAL = event(ID(1), 'AgreementReached', '2023-11-22', {
  agreementId: 'truce-2023-11',
  parties: ['israel', 'hamas'],
  mediators: ['qatar', 'egypt', 'us'],
  terms: { ceasefire: { kind: 'temporary', durationDays: 4 }, hostagesReleased: { count: 50, categories: ['women', 'children'] }, prisonersReleased: { count: 150 } },
  summary: 'A four-day pause: 50 hostages for 150 Palestinian prisoners',
});
const STARTED = event(ID(2), 'CeasefireStarted', '2023-11-24T05:00:00Z', { agreementId: 'truce-2023-11', summary: 'The pause takes effect at 7 a.m. local time' });
const released = (id: string, by: string, count: number, occurredAt: string, categories?: string[]) =>
  event(id, 'DetaineesReleased', occurredAt, { by, count, ...(categories ? { categories } : {}), summary: `${by} releases ${count}` });
const ENDED = event(ID(9), 'CeasefireEnded', '2023-12-01T05:00:00Z', { agreementId: 'truce-2023-11', summary: 'Fighting resumes as the pause expires' });
const truce = [
  DEAL,
  STARTED,
  released(ID(3), 'hamas', 24, '2023-11-24', ['women', 'children', 'foreign nationals']),
  released(ID(4), 'israel', 39, '2023-11-24', ['women', 'minors']),
  released(ID(5), 'hamas', 17, '2023-11-25'),
  released(ID(6), 'israel', 39, '2023-11-25'),
  ENDED,
];

describe('status fold', () => {
  it('given the founding week, there is no ceasefire and nobody has released anyone', () => {
    expect(status(fixture('founding-week').events)).toMatchObject({ ceasefire: { inEffect: false, since: null }, detaineesReleased: {}, releases: [] });
  });

  describe('the ceasefire', () => {
    it('given a truce agreed but not yet in force, then no ceasefire is in effect', () => {
      expect(status(truce, at('2023-11-23')).ceasefire).toMatchObject({ inEffect: false, since: null });
    });

    it('given a truce that started, then it is in effect since the moment it started, under its agreement', () => {
      expect(status(truce, at('2023-11-28')).ceasefire).toMatchObject({ inEffect: true, since: '2023-11-24T05:00:00.000Z', agreementId: 'truce-2023-11', eventId: ID(2), summary: 'The pause takes effect at 7 a.m. local time' });
    });

    it('given the truce ended, then it is no longer in effect, since it ended', () => {
      expect(status(truce).ceasefire).toMatchObject({ inEffect: false, since: '2023-12-01T05:00:00.000Z', eventId: ID(9) });
      expect(status(truce, { asOf: Date.parse('2023-12-01T04:59:59Z'), knownAt: NOW.knownAt }).ceasefire.inEffect).toBe(true);
    });

    it('given the end reported late, then as known before the report the truce still holds', () => {
      const late = [...truce.slice(0, -1), { ...ENDED, reportedAt: '2023-12-03' }];
      expect(status(late, at(undefined, '2023-12-02')).ceasefire).toMatchObject({ inEffect: true, since: '2023-11-24T05:00:00.000Z' });
      expect(status(late, at(undefined, '2023-12-03')).ceasefire.inEffect).toBe(false);
    });

    it('given the end retracted as misreported, then the truce is in effect again from the retraction on', () => {
      const events = [...truce, event(ID(10), 'ReportRetracted', '2023-12-02', { eventId: ID(9), reason: 'the pause was extended; the report was wrong' })];
      expect(status(events).ceasefire).toMatchObject({ inEffect: true, since: '2023-11-24T05:00:00.000Z', eventId: ID(2) });
      expect(status(events, at(undefined, '2023-12-01')).ceasefire.inEffect).toBe(false);
    });

    it('given a pause whose start is only known to lie within two days, then it counts from the end of that interval and is shown as sent', () => {
      const events = [event(ID(1), 'CeasefireStarted', '2024-11-26/2024-11-27', { summary: 'The fighting stopped' })];
      expect(status(events, at('2024-11-26')).ceasefire.inEffect).toBe(false);
      expect(status(events, at('2024-11-27')).ceasefire).toMatchObject({ inEffect: true, since: '2024-11-26/2024-11-27' });
    });
  });

  describe('detainees released', () => {
    it('given two days of exchanges, then each side’s releases add up, and each release is listed in order with its categories', () => {
      const view = status(truce);
      expect(view.detaineesReleased).toEqual({ hamas: 41, israel: 78 });
      expect(view.releases).toEqual([
        { eventId: ID(3), occurredAt: '2023-11-24', by: 'hamas', count: 24, categories: ['women', 'children', 'foreign nationals'] },
        { eventId: ID(4), occurredAt: '2023-11-24', by: 'israel', count: 39, categories: ['women', 'minors'] },
        { eventId: ID(5), occurredAt: '2023-11-25', by: 'hamas', count: 17 },
        { eventId: ID(6), occurredAt: '2023-11-25', by: 'israel', count: 39 },
      ]);
    });

    it('given asOf the first day, then only that day’s releases count', () => {
      expect(status(truce, at('2023-11-24')).detaineesReleased).toEqual({ hamas: 24, israel: 39 });
      expect(status(truce, at('2023-11-23')).detaineesReleased).toEqual({});
    });

    it('given a release reported late, then it counts only as known from its report on', () => {
      const events = [...truce, { ...released(ID(7), 'hamas', 1, '2023-11-26', ['a Russian-Israeli dual national']), reportedAt: '2023-11-28' }];
      expect(status(events, at(undefined, '2023-11-27')).detaineesReleased.hamas).toBe(41);
      expect(status(events, at(undefined, '2023-11-28')).detaineesReleased.hamas).toBe(42);
    });

    it('given a release retracted, then it leaves the totals from the retraction on', () => {
      const events = [...truce, event(ID(10), 'ReportRetracted', '2023-11-27', { eventId: ID(5), reason: 'double-counted' })];
      expect(status(events).detaineesReleased).toEqual({ hamas: 24, israel: 78 });
      expect(status(events).releases.map((r) => r.eventId)).not.toContain(ID(5));
      expect(status(events, at(undefined, '2023-11-26')).detaineesReleased).toEqual({ hamas: 41, israel: 78 });
    });

    it('given an actor slug that is also an Object.prototype member, then its total is its own', () => {
      expect(status([released(ID(1), 'constructor', 3, '2023-11-24')]).detaineesReleased).toEqual({ constructor: 3 });
    });
  });
});
