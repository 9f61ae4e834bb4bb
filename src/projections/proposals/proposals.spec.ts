// Proposals as a pure fold: histories replayed with no framework and no database, then cut by
// viewProposal for one (asOf, knownAt).
import { fixture } from '../../../test/support/fixtures.js';
import { newsEvents } from '../../../test/support/history.js';
import { endOf } from '../../catalogue/primitives.js';
import { NOW, type View } from '../evidence.js';
import { replay } from '../projection.js';
import { proposalsProjection, type ProposalDoc } from './proposals.fold.js';
import { viewProposal } from './proposals.view.js';

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** A view as a reader asks for it: bare dates mean the end of that day; unset means now. */
const at = (asOf?: string, knownAt?: string): View => ({ asOf: asOf ? endOf(asOf) : NOW.asOf, knownAt: knownAt ? endOf(knownAt) : NOW.knownAt });

function proposal(events: unknown[], proposalId: string, view: View = NOW) {
  const docs = replay(proposalsProjection, newsEvents(events)) as Map<string, ProposalDoc>;
  return viewProposal(docs.get(proposalId), view);
}

const named = [{ outlet: 'Reuters', attribution: 'named' }];
const TERMS = { ceasefire: { kind: 'temporary', durationDays: 42 }, hostagesReleased: { count: 33 } };

/** A proposal tabled (or revised) on `occurredAt`; reported the same day unless said otherwise. */
const tabled = (id: string, occurredAt: string, data: Record<string, unknown> = {}, reportedAt = occurredAt) => ({
  id,
  type: 'ProposalMade',
  occurredAt,
  reportedAt,
  sources: named,
  data: { proposalId: 'plan', proposer: 'egypt', mediators: ['qatar'], addressedTo: ['israel', 'hamas'], terms: TERMS, summary: 'the Egyptian plan', ...data },
});

const answer = (id: string, responder: string, response: string, occurredAt: string, extra: Record<string, unknown> = {}, reportedAt = occurredAt) => ({
  id,
  type: 'ProposalResponded',
  occurredAt,
  reportedAt,
  sources: named,
  data: { proposalId: 'plan', responder, response, summary: `${responder} ${response}`, ...extra },
});

const agreed = (id: string, occurredAt: string) => ({
  id,
  type: 'AgreementReached',
  occurredAt,
  reportedAt: occurredAt,
  sources: [{ outlet: 'AP', attribution: 'official' }],
  data: { agreementId: 'deal', parties: ['israel', 'hamas'], mediators: ['egypt', 'qatar'], proposalId: 'plan', terms: TERMS, summary: 'the deal' },
});

const retraction = (id: string, eventId: string, occurredAt: string) => ({
  id,
  type: 'ReportRetracted',
  occurredAt,
  reportedAt: occurredAt,
  sources: [{ outlet: 'Reuters', attribution: 'official' }],
  data: { eventId, reason: 'misreported' },
});

describe('proposals fold', () => {
  describe('with one addressee, the status is the latest answer (v1)', () => {
    const forHamas = (id: string, occurredAt: string, data: Record<string, unknown> = {}) => tabled(id, occurredAt, { addressedTo: ['hamas'], ...data });

    it('given the founding week, israel’s draft is listed as drafted, with its anonymous sourcing', () => {
      const draft = proposal(fixture('founding-week').events, 'israel-draft-2023-12');
      expect(draft).toMatchObject({ proposer: 'israel', status: 'drafted', responses: [], answers: {} });
      expect(['unconfirmed', 'reported']).toContain(draft!.confidence);
    });

    it('given a plan tabled for hamas, when hamas says it is considering it and then rejects it, then the status follows each answer', () => {
      const events = [forHamas(ID(1), '2024-05-01'), answer(ID(2), 'hamas', 'considering', '2024-05-02'), answer(ID(3), 'hamas', 'rejected', '2024-05-04')];
      expect(proposal(events.slice(0, 1), 'plan')).toMatchObject({ status: 'tabled', awaiting: ['hamas'] });
      expect(proposal(events.slice(0, 2), 'plan')).toMatchObject({ status: 'considering', awaiting: [] });
      expect(proposal(events, 'plan')).toMatchObject({ status: 'rejected', awaiting: [], answers: { hamas: { response: 'rejected', eventId: ID(3), occurredAt: '2024-05-04' } } });
      expect(proposal(events, 'plan')!.responses.map((r) => r.response)).toEqual(['considering', 'rejected']);
    });

    it('given a late report of an earlier answer, then the status is the answer that occurred last, not the one posted last', () => {
      const events = [forHamas(ID(1), '2024-05-01'), answer(ID(2), 'hamas', 'rejected', '2024-05-04'), answer(ID(3), 'hamas', 'considering', '2024-05-02', {}, '2024-05-06')];
      const plan = proposal(events, 'plan')!;
      expect(plan.status).toBe('rejected');
      expect(plan.responses.map((r) => r.eventId)).toEqual([ID(3), ID(2)]);
    });

    it('given a rejected plan, when it is revised, then it is tabled again with the new terms and the old answer no longer counts', () => {
      const revised = { ceasefire: { kind: 'temporary', durationDays: 60 } };
      const events = [forHamas(ID(1), '2024-05-01'), answer(ID(2), 'hamas', 'rejected', '2024-05-02'), forHamas(ID(3), '2024-05-10', { terms: revised, summary: 'revised' })];
      const plan = proposal(events, 'plan')!;
      expect(plan).toMatchObject({ status: 'tabled', terms: revised, summary: 'revised', proposedAt: '2024-05-01', evidence: [ID(3), ID(1)], awaiting: ['hamas'] });
      expect(plan.answers).toEqual({ hamas: { response: 'rejected', eventId: ID(2), occurredAt: '2024-05-02' } });
      expect(plan.responses).toHaveLength(1);
      expect(proposal([...events, answer(ID(4), 'hamas', 'considering', '2024-05-11')], 'plan')).toMatchObject({ status: 'considering', awaiting: [] });
    });

    it('given a countered plan, when an agreement names it, then it is accepted', () => {
      const events = [forHamas(ID(1), '2024-05-01'), answer(ID(2), 'hamas', 'countered', '2024-05-02'), agreed(ID(3), '2024-05-09')];
      expect(proposal(events, 'plan')).toMatchObject({ status: 'accepted', agreementId: 'deal' });
      expect(proposal(events, 'plan', at('2024-05-08'))).toMatchObject({ status: 'countered' });
      expect(proposal(events, 'plan', at('2024-05-08'))!.agreementId).toBeUndefined();
    });

    it('given a plan for hamas, when israel (not addressed) rejects it, then the answer is shown but the plan stays tabled', () => {
      const plan = proposal([forHamas(ID(1), '2024-05-01'), answer(ID(2), 'israel', 'rejected', '2024-05-02')], 'plan')!;
      expect(plan).toMatchObject({ status: 'tabled', awaiting: ['hamas'], answers: { israel: { response: 'rejected', eventId: ID(2) } } });
    });

    it('given a plan with no addressee, then anyone’s latest answer sets the status', () => {
      const plan = proposal([tabled(ID(1), '2024-05-01', { addressedTo: [] }), answer(ID(2), 'israel', 'countered', '2024-05-02')], 'plan')!;
      expect(plan).toMatchObject({ status: 'countered', awaiting: [], addressedTo: [] });
    });
  });

  describe('with several addressees, the status is the least advanced answer', () => {
    const plan = tabled(ID(1), '2024-05-01');
    const NONE = 'no answer';
    const answers = (israel: string, hamas: string) => [
      ...(israel !== NONE ? [answer(ID(2), 'israel', israel, '2024-05-02')] : []),
      ...(hamas !== NONE ? [answer(ID(3), 'hamas', hamas, '2024-05-03')] : []),
    ];

    it.each([
      ['accepted', NONE, 'tabled', ['hamas']],
      ['accepted', 'accepted', 'accepted', []],
      ['accepted', 'considering', 'considering', []],
      ['considering', NONE, 'tabled', ['hamas']],
      ['countered', 'accepted', 'countered', []],
      ['considering', 'countered', 'countered', []],
      ['rejected', 'countered', 'rejected', []],
      ['accepted', 'rejected', 'rejected', []],
      [NONE, NONE, 'tabled', ['israel', 'hamas']],
      [NONE, 'rejected', 'rejected', ['israel']],
    ] as [string, string, string, string[]][])(
      'given israel: %s and hamas: %s, then the plan is %s, awaiting %j',
      (israel, hamas, status, awaiting) => {
        expect(proposal([plan, ...answers(israel, hamas)], 'plan')).toMatchObject({ status, awaiting });
      },
    );

    it('given a drafted plan accepted by israel and not yet answered by hamas, then it is still drafted', () => {
      expect(proposal([tabled(ID(1), '2024-05-01', { status: 'drafted' }), answer(ID(2), 'israel', 'accepted', '2024-05-02')], 'plan')).toMatchObject({ status: 'drafted', awaiting: ['hamas'] });
    });

    it('given each side answering twice, then only each side’s latest answer counts', () => {
      const events = [plan, answer(ID(2), 'hamas', 'rejected', '2024-05-02'), answer(ID(3), 'israel', 'accepted', '2024-05-03'), answer(ID(4), 'hamas', 'accepted', '2024-05-04')];
      const view = proposal(events, 'plan')!;
      expect(view.status).toBe('accepted');
      expect(view.answers).toEqual({
        hamas: { response: 'accepted', eventId: ID(4), occurredAt: '2024-05-04' },
        israel: { response: 'accepted', eventId: ID(3), occurredAt: '2024-05-03' },
      });
      expect(view.responses.map((r) => `${r.responder} ${r.response}`)).toEqual(['hamas rejected', 'israel accepted', 'hamas accepted']);
    });

    it('given a plan accepted by both, when it is revised, then only answers after the revision count', () => {
      const events = [plan, answer(ID(2), 'israel', 'accepted', '2024-05-02'), answer(ID(3), 'hamas', 'accepted', '2024-05-03'), tabled(ID(4), '2024-05-10', { summary: 'revised' })];
      expect(proposal(events.slice(0, 3), 'plan')).toMatchObject({ status: 'accepted', awaiting: [] });
      const revised = proposal(events, 'plan')!;
      expect(revised).toMatchObject({ status: 'tabled', awaiting: ['israel', 'hamas'] });
      expect(Object.keys(revised.answers).sort()).toEqual(['hamas', 'israel']);
      const israelAgain = proposal([...events, answer(ID(5), 'israel', 'accepted', '2024-05-11')], 'plan')!;
      expect(israelAgain).toMatchObject({ status: 'tabled', awaiting: ['hamas'], answers: { israel: { eventId: ID(5) }, hamas: { eventId: ID(3) } } });
    });

    it('given a plan for israel and hamas, when qatar (not addressed) rejects it, then the answer is shown and does not count', () => {
      const events = [plan, answer(ID(2), 'qatar', 'rejected', '2024-05-02'), answer(ID(3), 'israel', 'accepted', '2024-05-03'), answer(ID(4), 'hamas', 'accepted', '2024-05-04')];
      expect(proposal(events.slice(0, 2), 'plan')).toMatchObject({ status: 'tabled', awaiting: ['israel', 'hamas'], answers: { qatar: { response: 'rejected' } } });
      expect(proposal(events, 'plan')).toMatchObject({ status: 'accepted', awaiting: [] });
    });

    it('given israel accepted and hamas countered, when an agreement names the plan, then it is accepted', () => {
      const events = [plan, answer(ID(2), 'israel', 'accepted', '2024-05-02'), answer(ID(3), 'hamas', 'countered', '2024-05-03'), agreed(ID(4), '2024-05-09')];
      expect(proposal(events.slice(0, 3), 'plan')!.status).toBe('countered');
      expect(proposal(events, 'plan')).toMatchObject({ status: 'accepted', agreementId: 'deal' });
    });
  });

  describe('corrections and time travel', () => {
    it('given hamas’s acceptance, when it is retracted, then it no longer counts — except as known before the retraction', () => {
      const events = [
        tabled(ID(1), '2024-05-01', { addressedTo: ['hamas'] }),
        answer(ID(2), 'hamas', 'considering', '2024-05-02'),
        answer(ID(3), 'hamas', 'accepted', '2024-05-03'),
        retraction(ID(4), ID(3), '2024-05-05'),
      ];
      const now = proposal(events, 'plan')!;
      expect(now).toMatchObject({ status: 'considering', answers: { hamas: { response: 'considering', eventId: ID(2) } } });
      expect(now.responses.map((r) => r.eventId)).toEqual([ID(2)]);
      expect(proposal(events, 'plan', at(undefined, '2024-05-04'))).toMatchObject({ status: 'accepted', answers: { hamas: { eventId: ID(3) } } });
    });

    it('given the only answer of an addressee retracted, then it is awaited again', () => {
      const events = [tabled(ID(1), '2024-05-01'), answer(ID(2), 'israel', 'accepted', '2024-05-02'), answer(ID(3), 'hamas', 'accepted', '2024-05-03'), retraction(ID(4), ID(3), '2024-05-04')];
      const view = proposal(events, 'plan')!;
      expect(view).toMatchObject({ status: 'tabled', awaiting: ['hamas'] });
      expect(view.answers.hamas).toBeUndefined();
    });

    it('given a retracted proposal, then there is nothing to show from the retraction on', () => {
      const events = [tabled(ID(1), '2024-05-01'), retraction(ID(2), ID(1), '2024-05-03')];
      expect(proposal(events, 'plan')).toBeNull();
      expect(proposal(events, 'plan', at(undefined, '2024-05-02'))).toMatchObject({ status: 'tabled' });
    });

    it('given a plan and its answers, then asOf shows the status of each day and nothing before the plan', () => {
      const events = [tabled(ID(1), '2024-05-01'), answer(ID(2), 'israel', 'accepted', '2024-05-02'), answer(ID(3), 'hamas', 'countered', '2024-05-05')];
      expect(proposal(events, 'plan', at('2024-04-30'))).toBeNull();
      expect(proposal(events, 'plan', at('2024-05-01'))).toMatchObject({ status: 'tabled', answers: {}, awaiting: ['israel', 'hamas'] });
      expect(proposal(events, 'plan', at('2024-05-04'))).toMatchObject({ status: 'tabled', awaiting: ['hamas'] });
      expect(proposal(events, 'plan', at('2024-05-05'))).toMatchObject({ status: 'countered', awaiting: [] });
    });

    it('given an answer reported a day late, then knownAt before its report does not see it', () => {
      const events = [tabled(ID(1), '2024-05-01', { addressedTo: ['hamas'] }), answer(ID(2), 'hamas', 'rejected', '2024-05-02', {}, '2024-05-03')];
      expect(proposal(events, 'plan', at('2024-05-02', '2024-05-02'))).toMatchObject({ status: 'tabled', awaiting: ['hamas'] });
      expect(proposal(events, 'plan', at('2024-05-02', '2024-05-03'))).toMatchObject({ status: 'rejected' });
    });

    it('given the 2024 talks, the US outline is tabled while only israel has said yes, countered by hamas, accepted by both, then countered by israel’s late-reported demands', () => {
      const talks = fixture('talks-2024-mar-jul').events;
      const outline = (asOf: string, knownAt = asOf) => proposal(talks, 'us-outline-2024-05-31', at(asOf, knownAt))!;
      expect(outline('2024-06-10')).toMatchObject({
        status: 'tabled',
        awaiting: ['hamas'],
        answers: { israel: { response: 'accepted', eventId: 'ee5ded75-78a5-4440-bc96-8a74a1b3db16', occurredAt: '2024-06-02' } },
      });
      expect(outline('2024-06-12')).toMatchObject({ status: 'countered', awaiting: [], answers: { israel: { response: 'accepted' }, hamas: { response: 'countered', occurredAt: '2024-06-11' } } });
      // Hamas's yes occurred at some moment of 2–3 July: shown as sent.
      expect(outline('2024-07-27')).toMatchObject({ status: 'accepted', answers: { hamas: { response: 'accepted', occurredAt: '2024-07-02/2024-07-03' } } });
      expect(outline('2024-07-27', '2024-07-28')).toMatchObject({ status: 'countered', answers: { israel: { response: 'countered', occurredAt: '2024-07-27' } } });
      expect(proposal(talks, 'egypt-qatar-2024-05')).toMatchObject({ status: 'rejected', awaiting: [] });
      expect(proposal(talks, 'us-cairo-2024-04')).toMatchObject({ status: 'rejected' });
      expect(proposal(talks, 'israel-offer-2024-04')).toMatchObject({ status: 'considering' });
    });
  });

  describe('what each answer says', () => {
    it('given answers with conditions, own terms, stances and a counter-proposal, then each response shows them as sent', () => {
      const own = { prisonersReleased: { count: { min: 700, max: 1000 } } };
      const stances = [{ issue: 'permanent-ceasefire', stance: 'demands', conditions: ['a timetable'] }];
      const events = [
        tabled(ID(1), '2024-05-01'),
        tabled(ID(2), '2024-05-02', { proposalId: 'counter', proposer: 'hamas', addressedTo: ['israel'] }),
        answer(ID(3), 'israel', 'accepted', '2024-05-03', { conditions: ['all hostages released'] }),
        answer(ID(4), 'hamas', 'countered', '2024-05-04', { counterProposalId: 'counter', terms: own, stances }),
      ];
      const plan = proposal(events, 'plan')!;
      expect(plan.responses).toEqual([
        { eventId: ID(3), occurredAt: '2024-05-03', responder: 'israel', response: 'accepted', conditions: ['all hostages released'], summary: 'israel accepted', confidence: 'reported' },
        { eventId: ID(4), occurredAt: '2024-05-04', responder: 'hamas', response: 'countered', counterProposalId: 'counter', terms: own, stances, summary: 'hamas countered', confidence: 'reported' },
      ]);
      expect(plan.status).toBe('countered');
    });
  });
});
