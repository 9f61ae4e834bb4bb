// Random but realistic histories for property tests: developments at distinct instants, some
// reported late, corroborations and retractions after what they are about, responses after the
// proposals they answer. Returned in arrival order, as envelopes with ids.
import fc from 'fast-check';

export const ACTORS = ['israel', 'hamas', 'egypt', 'qatar', 'us'];
export const ISSUES = ['temporary-ceasefire', 'permanent-ceasefire', 'hostage-exchange', 'humanitarian-aid', 'military-operations', 'negotiations'];
const STANCES = ['supports', 'opposes', 'demands', 'conditional', 'undecided'];
const OUTLETS = ['Reuters', 'Al Jazeera', 'Politico', 'AP'];
const ATTRIBUTIONS = ['official', 'named', 'anonymous'];
const BASE = Date.UTC(2023, 11, 1);
const MINUTE = 60_000;

export interface Envelope {
  id: string;
  type: string;
  occurredAt: string;
  reportedAt: string;
  sources: { outlet: string; attribution: string }[];
  data: Record<string, any>;
}

/** One step of the recipe; interpreted against what exists so far. */
type Step = { kind: number; pick: number[]; late: number; gap: number; source: [number, number] };

const step = fc.record({
  kind: fc.integer({ min: 0, max: 99 }),
  pick: fc.array(fc.nat(1000), { minLength: 6, maxLength: 6 }),
  late: fc.nat(5 * 24 * 60),
  gap: fc.integer({ min: 1, max: 24 * 60 }),
  source: fc.tuple(fc.nat(OUTLETS.length - 1), fc.nat(ATTRIBUTIONS.length - 1)),
});

export const history = (maxLength = 30) => fc.array(step, { minLength: 1, maxLength }).map(build).filter((events) => events.length > 0);

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const iso = (ms: number) => new Date(ms).toISOString();

const CORRECTIONS = ['SourceAdded', 'ReportRetracted', 'ReportDisputed'];

function build(steps: Step[]): Envelope[] {
  const events: Envelope[] = [];
  const times = new Map<string, { occurred: number; reported: number }>();
  const proposals: { proposalId: string; eventId: string }[] = [];
  const agreements: { agreementId: string; parties: string[] }[] = [];
  const retracted = new Set<string>();
  let clock = BASE;

  steps.forEach((s, i) => {
    const id = uuid(i + 1);
    clock += s.gap * MINUTE; // distinct occurrence instants: no ties to break by arrival
    const pick = <T>(list: T[], n: number) => list[s.pick[n] % list.length];
    const source = { outlet: OUTLETS[s.source[0]], attribution: ATTRIBUTIONS[s.source[1]] };
    const domain = events.filter((e) => !CORRECTIONS.includes(e.type));
    // A sixth are uncertain: an interval or an upper bound ending at the instant (it counts as its end).
    const when = (ms: number) => (s.late % 6 === 1 ? `${iso(ms - (1 + (s.gap % 90)) * MINUTE)}/${iso(ms)}` : s.late % 6 === 2 ? `../${iso(ms)}` : iso(ms));
    const push = (type: string, data: Record<string, any>, occurred: number, reported: number) => {
      times.set(id, { occurred, reported });
      events.push({ id, type, occurredAt: when(occurred), reportedAt: iso(reported), sources: [source], data });
    };
    const after = (targetId: string) => {
      // A correction comes after the report it corrects: occurred and reported later.
      const t = times.get(targetId)!;
      const occurred = Math.max(clock, t.reported + MINUTE);
      clock = occurred;
      return [occurred, occurred + (s.late % 3) * MINUTE] as const;
    };
    const occurred = clock;
    const reported = occurred + (s.kind % 4 === 0 ? s.late * MINUTE : 0); // a quarter are reported late
    const stances = () => [...new Set([pick(ISSUES, 1), pick(ISSUES, 2)])].map((issue, k) => ({ issue, stance: pick(STANCES, 3 + k), ...(s.pick[5] % 3 === 0 ? { conditions: [`condition ${i}`] } : {}) }));

    if (s.kind < 25) {
      push('StatementIssued', { actor: pick(ACTORS, 0), stances: stances(), summary: `statement ${i}` }, occurred, reported);
    } else if (s.kind < 32) {
      const about = [...new Set([pick(ACTORS, 4), pick(ACTORS, 5)])];
      push('PositionClaimed', { claimant: pick(ACTORS, 0), about, stances: stances(), summary: `claim ${i}` }, occurred, reported);
    } else if (s.kind < 42) {
      const proposalId = `p${proposals.length + 1}`;
      proposals.push({ proposalId, eventId: id });
      const terms = [{ ceasefire: { kind: 'temporary', durationDays: 7 } }, { ceasefire: { kind: 'permanent' } }, { hostagesReleased: { count: { min: 30, max: 40 } } }, { humanitarianAid: { summary: 'aid' } }][s.pick[1] % 4];
      // Half are put to two addressees: their answers then count by the least-advanced rule.
      const addressedTo = [...new Set([pick(ACTORS, 3), ...(s.pick[5] % 2 ? [pick(ACTORS, 5)] : [])])];
      push('ProposalMade', { proposalId, proposer: pick(ACTORS, 0), mediators: [pick(ACTORS, 2)], addressedTo, terms, status: s.pick[4] % 2 ? 'drafted' : 'tabled', summary: `proposal ${i}` }, occurred, reported);
    } else if (s.kind < 52) {
      const open = proposals.filter((p) => !retracted.has(p.eventId)); // a retracted proposal cannot be answered
      if (!open.length) return;
      const proposal = pick(open, 1);
      const [o, r] = after(proposal.eventId);
      const made = events.find((e) => e.id === proposal.eventId)!;
      const responder = s.pick[3] % 3 ? pick(made.data.addressedTo as string[], 0) : pick(ACTORS, 0);
      const extra = {
        ...(s.pick[4] % 3 === 0 ? { conditions: [`but ${i}`] } : {}),
        ...(s.pick[4] % 4 === 1 ? { terms: { hostagesReleased: { count: 10 + (s.pick[5] % 30) } } } : {}),
        ...(s.pick[4] % 5 === 2 ? { stances: [{ issue: pick(ISSUES, 5), stance: pick(STANCES, 3) }] } : {}),
      };
      push('ProposalResponded', { proposalId: proposal.proposalId, responder, response: pick(['accepted', 'rejected', 'countered', 'considering'], 2), ...extra, summary: `response ${i}` }, o, r);
    } else if (s.kind < 60) {
      const participants = [...new Set([pick(ACTORS, 0), pick(ACTORS, 1), pick(ACTORS, 2)])].map((actor) => ({ actor }));
      push('MeetingHeld', { participants, ...(s.pick[3] % 2 ? { host: pick(ACTORS, 4) } : {}), ...(s.pick[4] % 3 === 0 ? { format: 'indirect' } : {}), location: { city: 'Cairo', country: 'Egypt' }, topics: [pick(ISSUES, 5)], summary: `meeting ${i}` }, occurred, reported);
    } else if (s.kind < 67) {
      push('PressureApplied', { by: pick(ACTORS, 0), on: [pick(ACTORS, 1)], issue: pick(ISSUES, 2), demand: `demand ${i}`, ...(s.pick[3] % 2 ? { deadline: iso(occurred + 7 * 86_400_000) } : {}), summary: `pressure ${i}` }, occurred, reported);
    } else if (s.kind < 70) {
      const agreement = agreements.length && s.pick[4] % 3 === 0 ? pick(agreements, 1) : undefined;
      if (agreement) {
        // A later posting carries only what changes: signed, a phase added, a guarantor.
        push('AgreementReached', { agreementId: agreement.agreementId, status: 'signed', ...(s.pick[5] % 2 ? { phases: [{ phase: 1, summary: 'one' }, { phase: 2, durationDays: { min: 30, max: 42 }, summary: 'two' }] } : { guarantors: [pick(ACTORS, 2)] }), summary: `agreement update ${i}` }, occurred, reported);
      } else {
        const agreementId = `a${agreements.length + 1}`;
        const parties = [...new Set([pick(ACTORS, 0), pick(ACTORS, 1)])];
        agreements.push({ agreementId, parties });
        push('AgreementReached', { agreementId, parties, mediators: [pick(ACTORS, 2)], terms: { ceasefire: { kind: 'temporary', durationDays: 42 } }, ...(s.pick[3] % 2 ? { status: 'announced' } : {}), ...(s.pick[5] % 2 ? { phases: [{ phase: 1, summary: 'first' }] } : {}), summary: `agreement ${i}` }, occurred, reported);
      }
    } else if (s.kind < 72) {
      if (!agreements.length) return;
      const agreement = pick(agreements, 1);
      push('AgreementRatified', { agreementId: agreement.agreementId, by: pick(agreement.parties, 2), summary: `ratified ${i}` }, occurred, reported);
    } else if (s.kind < 75) {
      const agreement = agreements.length && s.pick[3] % 2 ? pick(agreements, 1) : undefined;
      const started = { ...(agreement ? { agreementId: agreement.agreementId, ...(s.pick[4] % 2 ? { phase: 1 + (s.pick[5] % 3) } : {}) } : {}), kind: agreement ? 'agreed' : pick(['de-facto', 'unilateral'], 2), summary: `ceasefire ${i}` };
      if (s.pick[0] % 3 === 0) push('CeasefireEnded', { summary: `ceasefire ended ${i}` }, occurred, reported);
      else push('CeasefireStarted', started, occurred, reported);
    } else if (s.kind < 77) {
      push('CeasefireViolated', { ...(s.pick[1] % 2 ? { by: pick(ACTORS, 2) } : {}), summary: `violation ${i}` }, occurred, reported);
    } else if (s.kind < 79) {
      const count = 1 + (s.pick[1] % 50);
      push('DetaineesReleased', { by: pick(ACTORS, 0), count, ...(s.pick[2] % 3 === 0 ? { deceased: s.pick[3] % (count + 1) } : {}), summary: `release ${i}` }, occurred, reported);
    } else if (s.kind < 87 && domain.length) {
      const target = pick(domain, 0);
      const [o, r] = after(target.id);
      push('SourceAdded', { eventId: target.id, source: { outlet: pick(OUTLETS, 1), attribution: pick(ATTRIBUTIONS, 2) } }, o, r);
    } else if (s.kind < 93 && domain.length) {
      const standing = domain.filter((e) => !retracted.has(e.id)); // only a report still standing can be disputed
      if (!standing.length) return;
      const target = pick(standing, 0);
      const [o, r] = after(target.id);
      push('ReportDisputed', { eventId: target.id, ...(s.pick[2] % 2 ? { by: pick(ACTORS, 3) } : {}), reason: `disputed ${i}` }, o, r);
    } else if (domain.length) {
      const candidates = events.filter((e) => e.type !== 'ReportRetracted' && !retracted.has(e.id));
      if (!candidates.length) return;
      const target = pick(candidates, 0);
      retracted.add(target.id);
      const [o, r] = after(target.id);
      push('ReportRetracted', { eventId: target.id, reason: `retracted ${i}` }, o, r);
    }
  });
  return events;
}

/** Another arrival order of the same history: corrections and responses still after their targets. */
export function reorder(events: Envelope[], seed: number): Envelope[] {
  const rest = [...events];
  const out: Envelope[] = [];
  let x = seed || 1;
  const depOf = (e: Envelope) =>
    CORRECTIONS.includes(e.type) ? e.data.eventId : e.type === 'ProposalResponded' ? events.find((p) => p.type === 'ProposalMade' && p.data.proposalId === e.data.proposalId)?.id : undefined;
  while (rest.length) {
    const ready = rest.filter((e) => {
      const dep = depOf(e);
      return !dep || out.some((o) => o.id === dep);
    });
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const chosen = ready[x % ready.length];
    out.push(chosen);
    rest.splice(rest.indexOf(chosen), 1);
  }
  return out;
}
