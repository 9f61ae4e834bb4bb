// A deterministic generator of realistic histories: N developments across the built-in actors
// and issues over about two years — statements, proposals and responses, meetings, pressure,
// ceasefires, releases — with a share reported late, corroborated or retracted. The same seed
// gives the same history, ids included.
export interface GeneratedEvent {
  id: string;
  type: string;
  occurredAt: string;
  reportedAt: string;
  sources: { outlet: string; attribution: string }[];
  data: Record<string, unknown>;
}

const ACTORS = ['israel', 'hamas', 'egypt', 'qatar', 'us'];
const ISSUES = ['temporary-ceasefire', 'permanent-ceasefire', 'hostage-exchange', 'humanitarian-aid', 'military-operations', 'negotiations'];
const STANCES = ['supports', 'opposes', 'demands', 'conditional', 'undecided'];
const OUTLETS = ['Reuters', 'Al Jazeera', 'Politico', 'AP', 'Axios', 'Haaretz', 'Al-Monitor', 'BBC'];
const ATTRIBUTIONS = ['official', 'named', 'anonymous'];
const CITIES: [string, string][] = [['Cairo', 'Egypt'], ['Doha', 'Qatar'], ['Paris', 'France'], ['Warsaw', 'Poland'], ['Washington', 'United States']];
const START = Date.UTC(2023, 9, 7);
const SPAN = 730 * 86_400_000;

/** mulberry32: small, fast, good enough to make varied but repeatable histories. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function* generateHistory(count: number, seed = 42): Generator<GeneratedEvent> {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)];
  const uuid = (n: number) => {
    const hex = (seed >>> 0).toString(16).padStart(8, '0');
    return `${hex}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  };
  const recent: { id: string; reported: number; domain: boolean }[] = [];
  const proposals: { proposalId: string; reported: number; eventId: string }[] = [];
  const retracted = new Set<string>();

  for (let i = 0; i < count; i++) {
    const id = uuid(i + 1);
    // Time moves forward with the log; a quarter of reports arrive days late.
    const occurred = START + Math.floor((i / count) * SPAN) + Math.floor(rnd() * 3_600_000);
    const late = rnd() < 0.25 ? Math.floor(rnd() * 5 * 86_400_000) : 0;
    const reported = occurred + late;
    const day = rnd() < 0.5;
    const at = (ms: number) => (day ? new Date(ms).toISOString().slice(0, 10) : new Date(ms).toISOString());
    const source = () => ({ outlet: pick(OUTLETS), attribution: pick(ATTRIBUTIONS) });
    const base = (type: string, data: Record<string, unknown>, o = occurred, r = reported) => ({ id, type, occurredAt: at(o), reportedAt: at(Math.max(o, r)), sources: [source()], data });
    const roll = rnd();
    let event: GeneratedEvent;

    if (roll < 0.4) {
      const issues = [...new Set([pick(ISSUES), pick(ISSUES)])];
      event = base('StatementIssued', { actor: pick(ACTORS), speaker: { name: 'A spokesperson' }, stances: issues.map((issue) => ({ issue, stance: pick(STANCES) })), summary: `Statement ${i} on ${issues.join(' and ')}.` });
    } else if (roll < 0.47) {
      const proposalId = `proposal-${i}`;
      proposals.push({ proposalId, reported, eventId: id });
      event = base('ProposalMade', {
        proposalId,
        proposer: pick(ACTORS),
        mediators: [pick(ACTORS)],
        addressedTo: [pick(ACTORS)],
        terms: { ceasefire: { kind: rnd() < 0.7 ? 'temporary' : 'permanent', durationDays: 7 }, hostagesReleased: { count: Math.floor(rnd() * 100) } },
        status: rnd() < 0.5 ? 'drafted' : 'tabled',
        summary: `Proposal ${i}.`,
      });
    } else if (roll < 0.55 && proposals.length) {
      const p = proposals[proposals.length - 1 - Math.floor(rnd() * Math.min(20, proposals.length))];
      const o = Math.max(occurred, p.reported);
      event = base('ProposalResponded', { proposalId: p.proposalId, responder: pick(ACTORS), response: pick(['accepted', 'rejected', 'countered', 'considering']), summary: `Response ${i}.` }, o, Math.max(reported, o));
    } else if (roll < 0.68) {
      const participants = [...new Set([pick(ACTORS), pick(ACTORS), pick(ACTORS)])].map((actor) => ({ actor }));
      const [city, country] = pick(CITIES);
      event = base('MeetingHeld', { participants, host: pick(ACTORS), location: { city, country }, topics: [pick(ISSUES)], tone: pick(['positive', 'neutral', 'tense']), summary: `Meeting ${i} in ${city}.` });
    } else if (roll < 0.76) {
      event = base('PressureApplied', { by: pick(ACTORS), on: [pick(ACTORS)], issue: pick(ISSUES), demand: `Demand ${i}.`, summary: `Pressure ${i}.` });
    } else if (roll < 0.79) {
      event = base(rnd() < 0.5 ? 'CeasefireStarted' : 'CeasefireEnded', { summary: `Ceasefire change ${i}.` });
    } else if (roll < 0.84) {
      event = base('DetaineesReleased', { by: pick(ACTORS), count: 1 + Math.floor(rnd() * 30), summary: `Release ${i}.` });
    } else if (roll < 0.95 && recent.some((r) => r.domain)) {
      const developments = recent.filter((r) => r.domain);
      const target = developments[Math.floor(rnd() * developments.length)];
      const o = Math.max(occurred, target.reported + 60_000);
      event = base('SourceAdded', { eventId: target.id, source: source() }, o, o);
    } else if (recent.length) {
      const candidates = recent.filter((r) => r.domain && !retracted.has(r.id));
      const target = candidates.length ? candidates[Math.floor(rnd() * candidates.length)] : undefined;
      if (!target) {
        event = base('StatementIssued', { actor: pick(ACTORS), stances: [{ issue: pick(ISSUES), stance: pick(STANCES) }], summary: `Statement ${i}.` });
      } else {
        retracted.add(target.id);
        // A retracted proposal is off the record: nothing answers it any more (the API refuses that, 409).
        const withdrawn = proposals.findIndex((p) => p.eventId === target.id);
        if (withdrawn >= 0) proposals.splice(withdrawn, 1);
        const o = Math.max(occurred, target.reported + 60_000);
        event = base('ReportRetracted', { eventId: target.id, reason: `Retracted ${i}.` }, o, o);
      }
    } else {
      event = base('StatementIssued', { actor: pick(ACTORS), stances: [{ issue: pick(ISSUES), stance: pick(STANCES) }], summary: `Statement ${i}.` });
    }
    recent.push({ id, reported: Date.parse(event.reportedAt.length === 10 ? `${event.reportedAt}T23:59:59Z` : event.reportedAt), domain: event.type !== 'SourceAdded' && event.type !== 'ReportRetracted' });
    if (recent.length > 200) recent.shift();
    yield event;
  }
}
