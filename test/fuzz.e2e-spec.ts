// Random envelopes, valid and spoiled, thrown at POST /events: never a 5xx, and the log holds
// exactly the events that were answered 201.
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { statement, proposal } from './support/envelopes.js';
import { TestApp } from './support/test-server.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const junk = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant('2023-02-30'),
  fc.constant('9999-12-31'),
  fc.constant("'); DROP TABLE events; --"),
  fc.constant('__proto__'),
  // What PostgreSQL cannot store, or only looks like text or a number.
  fc.constant('cease\u0000fire'),
  fc.constant('half a pair \ud800'),
  fc.constant('\udc00'),
  fc.constant('\u200b'),
  fc.constant(5e-324),
  // Ids named like Object.prototype members.
  fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'valueOf'),
  // Uncertain dates and ranges, well and badly formed.
  fc.constantFrom('2024-03-01/2024-03-05', '../2024-03-05', '2024-03-05/2024-03-01', '2024-03-01/..', '../', '2024-03-01//2024-03-02'),
  fc.record({ min: fc.integer({ min: -5, max: 2000 }), max: fc.integer({ min: -5, max: 2000 }) }),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 3 }),
);
const paths = [['data', 'eventId'], ['data', 'phases'], ['data', 'phase'], ['data', 'kind'], ['data', 'deceased'], ['data', 'by'], ['data', 'guarantors'], ['data', 'status'], ['data', 'conditions'], ['data', 'about'], ['data', 'stances', 0, 'conditions'], ['data', 'terms', 'prisonersReleased', 'count'], ['data', 'terms', 'ceasefire'], ['type'], ['occurredAt'], ['reportedAt'], ['sources'], ['sources', 0, 'attribution'], ['data'], ['data', 'actor'], ['data', 'stances'], ['data', 'stances', 0, 'issue'], ['data', 'stances', 0, 'stance'], ['data', 'summary'], ['data', 'proposalId'], ['data', 'terms'], ['expectedVersion'], ['id'], ['extra']];

function spoil(value: any, path: (string | number)[], replacement: unknown): any {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const base = value && typeof value === 'object' ? (Array.isArray(value) ? [...value] : { ...value }) : {};
  base[head as any] = spoil(base[head as any], rest, replacement);
  return base;
}

describe('fuzzing POST /events', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start({ RATE_LIMIT_PER_MINUTE: '0' });
    expect((await app.post('/events', proposal('fuzz-shared'))).status).toBe(201);
    expect((await app.post('/events', { type: 'AgreementReached', occurredAt: '2023-12-21', sources: [{ outlet: 'AP', attribution: 'named' }], data: { agreementId: 'fuzz-deal', parties: ['israel', 'hamas'], terms: {}, summary: 'a deal' } })).status).toBe(201);
  });
  afterAll(() => app.stop());

  it(`answers ${RUNS} random envelopes without a 5xx, keeps the log consistent, and every event stays foldable`, async () => {
    let created = 0;
    const stored: string[] = [];
    // A correction of a stored event, its id in upper, lower or mixed case.
    const correction = () => {
      const target = stored.length ? stored[Math.floor(Math.random() * stored.length)] : randomUUID();
      const id = [...target].map((c) => (Math.random() < 0.5 ? c.toUpperCase() : c)).join('');
      return { type: 'SourceAdded', occurredAt: '2023-12-20', sources: [{ outlet: 'AP', attribution: 'named' }], data: { eventId: id, source: { outlet: 'Reuters', attribution: 'named' } } };
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('statement', 'proposal', 'correction', 'poison batch', 'answer', 'claim', 'dispute', 'agreement', 'ratification', 'ceasefire', 'violation', 'release'),
        fc.array(fc.tuple(fc.constantFrom(...paths), junk), { maxLength: 3 }),
        fc.boolean(),
        async (make, spoils, raw) => {
          if (make === 'poison batch') {
            // An event whose id is sent in upper case, and a correction naming it in the same batch.
            const upper = randomUUID().toUpperCase();
            const reply = await app.post('/events/batch', { events: [statement('hamas', 'negotiations', 'supports', { id: upper }), { ...correction(), data: { eventId: upper, source: { outlet: 'AP', attribution: 'named' } } }] });
            expect(reply.status).toBe(201);
            created += 2;
            stored.push(upper.toLowerCase());
            return;
          }
          const makers: Record<string, () => any> = {
            statement: () => statement(),
            proposal: () => proposal(`fuzz-${Math.random()}`),
            correction,
            // An answer to the proposal every run shares, with the v2 fields.
            answer: () => ({ type: 'ProposalResponded', occurredAt: '2023-12-21', sources: [{ outlet: 'AP', attribution: 'named' }], data: { proposalId: 'fuzz-shared', responder: 'hamas', response: 'accepted', conditions: ['but'], terms: { prisonersReleased: { count: { min: 1, max: 2 } } }, stances: [{ issue: 'negotiations', stance: 'conditional' }], summary: 'yes, but' } }),
            claim: () => ({ type: 'PositionClaimed', occurredAt: '2023-12-20/2023-12-21', sources: [{ outlet: 'AP', attribution: 'named' }], data: { claimant: 'us', about: ['hamas'], stances: [{ issue: 'negotiations', stance: 'supports' }], summary: 'they are ready' } }),
            agreement: () => ({ type: 'AgreementReached', occurredAt: '2023-12-22', sources: [{ outlet: 'AP', attribution: 'named' }], data: { agreementId: 'fuzz-deal', parties: ['israel', 'hamas'], guarantors: ['qatar'], terms: { ceasefire: { kind: 'temporary', durationDays: { min: 30, max: 42 } } }, phases: [{ phase: 1, summary: 'one' }], status: 'announced', summary: 'a deal' } }),
            ratification: () => ({ type: 'AgreementRatified', occurredAt: '2023-12-23', sources: [{ outlet: 'AP', attribution: 'named' }], data: { agreementId: 'fuzz-deal', by: 'israel', summary: 'approved' } }),
            ceasefire: () => ({ type: 'CeasefireStarted', occurredAt: '2023-12-24', sources: [{ outlet: 'AP', attribution: 'named' }], data: { agreementId: 'fuzz-deal', phase: 1, kind: 'agreed', summary: 'quiet' } }),
            violation: () => ({ type: 'CeasefireViolated', occurredAt: '2023-12-25', sources: [{ outlet: 'AP', attribution: 'named' }], data: { agreementId: 'fuzz-deal', by: 'hamas', summary: 'shots' } }),
            release: () => ({ type: 'DetaineesReleased', occurredAt: '2023-12-25', sources: [{ outlet: 'AP', attribution: 'named' }], data: { by: 'hamas', count: 4, deceased: 1, summary: 'released' } }),
            dispute: () => ({ type: 'ReportDisputed', occurredAt: '2023-12-22', sources: [{ outlet: 'AP', attribution: 'named' }], data: { eventId: correction().data.eventId, by: 'hamas', reason: 'denied' } }),
          };
          let body: any = makers[make]();
          for (const [path, value] of spoils) body = spoil(body, path, value);
          const reply = raw ? await app.request('POST', '/events', undefined, { raw: JSON.stringify(body).slice(0, Math.max(1, JSON.stringify(body).length - 3)) }) : await app.post('/events', body);
          expect(reply.status).toBeLessThan(500);
          if (reply.status === 201) {
            created++;
            stored.push(reply.body.id);
          } else expect(reply.headers.get('content-type')).toMatch(/problem\+json/);
        },
      ),
      { numRuns: RUNS },
    );
    expect(await app.eventCount()).toBe(created + 2);
    await app.settled();
    expect((await app.get('/health')).body).toMatchObject({ status: 'ok', projector: { quarantined: [] } });
  });
});
