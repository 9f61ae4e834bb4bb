// Random envelopes, valid and spoiled, thrown at POST /events: never a 5xx, and the log holds
// exactly the events that were answered 201.
import fc from 'fast-check';
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
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 3 }),
);
const paths = [['type'], ['occurredAt'], ['reportedAt'], ['sources'], ['sources', 0, 'attribution'], ['data'], ['data', 'actor'], ['data', 'stances'], ['data', 'stances', 0, 'issue'], ['data', 'stances', 0, 'stance'], ['data', 'summary'], ['data', 'proposalId'], ['data', 'terms'], ['expectedVersion'], ['id'], ['extra']];

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
  });
  afterAll(() => app.stop());

  it(`answers ${RUNS} random envelopes without a 5xx and keeps the log consistent`, async () => {
    let created = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(statement, proposal),
        fc.array(fc.tuple(fc.constantFrom(...paths), junk), { maxLength: 3 }),
        fc.boolean(),
        async (make, spoils, raw) => {
          let body: any = make === proposal ? proposal(`fuzz-${Math.random()}`) : statement();
          for (const [path, value] of spoils) body = spoil(body, path, value);
          const reply = raw ? await app.request('POST', '/events', undefined, { raw: JSON.stringify(body).slice(0, Math.max(1, JSON.stringify(body).length - 3)) }) : await app.post('/events', body);
          expect(reply.status).toBeLessThan(500);
          if (reply.status === 201) created++;
          else expect(reply.headers.get('content-type')).toMatch(/problem\+json/);
        },
      ),
      { numRuns: RUNS },
    );
    expect(await app.eventCount()).toBe(created);
  });
});
