// The persisted projections, read over HTTP, agree with the specification (fold the events in
// the view from scratch) on random histories — live, and again after a rebuild.
import fc from 'fast-check';
import { history } from './support/arbitrary-history.js';
import { answers, filtered, toNews } from './support/oracle.js';
import { propertyOptions } from './support/property-options.js';
import { ADMIN_KEY, TestApp } from './support/test-server.js';
import { NOW, type View } from '../src/projections/evidence.js';

const START = Date.UTC(2023, 11, 1);
const DAY = 86_400_000;

function query(v: View): string {
  const p = new URLSearchParams();
  if (Number.isFinite(v.asOf)) p.set('asOf', new Date(v.asOf).toISOString());
  if (Number.isFinite(v.knownAt)) p.set('knownAt', new Date(v.knownAt).toISOString());
  return p.size ? `?${p}` : '';
}

async function served(app: TestApp, v: View) {
  const q = query(v);
  const [positions, proposals, timeline, status, agreements] = await Promise.all(['/positions', '/proposals', '/timeline', '/status', '/agreements'].map((r) => app.get(`${r}${q}`)));
  const { position: _p, asOf: _a, knownAt: _k, ...statusBody } = status.body;
  return { positions: positions.body.actors, proposals: proposals.body.proposals, timeline: timeline.body.events, status: statusBody, agreements: agreements.body.agreements };
}

describe('persisted projections agree with the specification', () => {
  it('on random histories posted through the API, at random (asOf, knownAt), live and after a rebuild', async () => {
    const views = fc.array(
      fc.record({
        asOf: fc.oneof(fc.integer({ min: START, max: START + 60 * DAY }), fc.constant(Infinity)),
        knownAt: fc.oneof(fc.integer({ min: START, max: START + 60 * DAY }), fc.constant(Infinity)),
      }),
      { minLength: 3, maxLength: 3 },
    ) as fc.Arbitrary<View[]>;
    await fc.assert(
      fc.asyncProperty(history(40), views, async (envelopes, cuts) => {
        const app = await TestApp.start();
        try {
          // Positions are the server's: build the specification from what it stored.
          const events = await app.postHistory(envelopes);
          await app.settled();
          for (const v of [NOW, ...cuts]) {
            const expected = JSON.parse(JSON.stringify(answers(toNews(filtered(events, v), events), NOW)));
            expect(await served(app, v)).toEqual(expected);
          }
          expect((await app.post('/admin/projections/rebuild', {}, ADMIN_KEY)).status).toBe(202);
          await app.rebuilt();
          for (const v of cuts) {
            expect(await served(app, v)).toEqual(JSON.parse(JSON.stringify(answers(toNews(events), v))));
          }
        } finally {
          await app.stop();
        }
      }),
      propertyOptions(),
    );
  });
});
