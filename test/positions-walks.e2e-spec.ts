// Positions are read by walking facet rows in PostgreSQL, a few at a time, down to where the
// answer stops reading (positions.reader.ts). Whatever the walk, the answer is the fold's: on
// random histories with short lists (so walks take several steps), counted totals, reports
// published before the event they report (found through their own index when knownAt is the
// earlier clock), and each stance cell's history.
import fc from 'fast-check';
import { history, ACTORS, ISSUES, type Envelope } from './support/arbitrary-history.js';
import { answers, entriesOf, toNews } from './support/oracle.js';
import { propertyOptions } from './support/property-options.js';
import { TestApp } from './support/test-server.js';
import { stanceHistory } from '../src/projections/positions/stance-history.js';
import type { View } from '../src/projections/evidence.js';

const START = Date.UTC(2023, 11, 1);
const DAY = 86_400_000;
const CORRECTIONS = new Set(['SourceAdded', 'ReportRetracted', 'ReportDisputed']);

/** Every third development reported two days before it occurred (an announcement ahead of the fact). */
function someReportedEarly(envelopes: Envelope[]): Envelope[] {
  return envelopes.map((e, i) => {
    if (CORRECTIONS.has(e.type) || i % 3 !== 0) return e;
    const end = Date.parse(e.occurredAt.includes('/') ? e.occurredAt.split('/')[1] : e.occurredAt);
    return { ...e, reportedAt: new Date(end - 2 * DAY).toISOString() };
  });
}

function query(v: View, extra: Record<string, string>): string {
  const p = new URLSearchParams(extra);
  if (Number.isFinite(v.asOf)) p.set('asOf', new Date(v.asOf).toISOString());
  if (Number.isFinite(v.knownAt)) p.set('knownAt', new Date(v.knownAt).toISOString());
  return `?${p}`;
}

describe('positions read by facet walks', () => {
  it('agree with the fold for short lists, totals, early reports and cell histories, live and in any view', async () => {
    // The histories span a few days from START: views land among their events (and their early reports).
    const clock = fc.integer({ min: START - 2 * DAY, max: START + 4 * DAY });
    const views = fc.array(fc.record({ asOf: fc.oneof(clock, fc.constant(Infinity)), knownAt: fc.oneof(clock, fc.constant(Infinity)) }), { minLength: 3, maxLength: 3 }) as fc.Arbitrary<View[]>;
    await fc.assert(
      fc.asyncProperty(history(40).map(someReportedEarly), views, fc.integer({ min: 1, max: 3 }), fc.boolean(), async (envelopes, cuts, limit, withTotals) => {
        const app = await TestApp.start();
        try {
          const events = await app.postHistory(envelopes);
          await app.settled();
          for (const v of cuts) {
            const served = await app.get(`/positions${query(v, { limit: String(limit), ...(withTotals ? { totals: 'true' } : {}) })}`);
            expect(served.body.actors).toEqual(JSON.parse(JSON.stringify(answers(toNews(events), v, undefined, { limit, withTotals }).positions)));
            const actor = ACTORS[(limit + cuts.indexOf(v)) % ACTORS.length];
            const issue = ISSUES[(limit * 7 + cuts.indexOf(v)) % ISSUES.length];
            const cell = await app.get(`/positions/${actor}/history${query(v, { issue })}`);
            expect(cell.body.changes).toEqual(JSON.parse(JSON.stringify(stanceHistory(entriesOf(toNews(events), actor), issue, v))));
          }
        } finally {
          await app.stop();
        }
      }),
      propertyOptions(),
    );
  });
});
