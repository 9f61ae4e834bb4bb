// The folds against their specification, on random histories: late reports, corroborations,
// retractions, random (asOf, knownAt) cuts, random arrival orders.
import fc from 'fast-check';
import { history, reorder } from '../../test/support/arbitrary-history.js';
import { stored } from '../../test/support/history.js';
import { answers, filtered, toNews, withoutPositions } from '../../test/support/oracle.js';
import { NOW, type View } from './evidence.js';

const START = Date.UTC(2023, 11, 1);
const instant = fc.integer({ min: START - 86_400_000, max: START + 120 * 86_400_000 });
const view = fc.record({ asOf: fc.oneof(instant, fc.constant(Infinity)), knownAt: fc.oneof(instant, fc.constant(Infinity)) }) as fc.Arbitrary<View>;
const RUNS = 300;

describe('projection properties', () => {
  it('(b) the answer for (asOf, knownAt) is the fold of only the events in that view, in occurrence order', () => {
    fc.assert(
      fc.property(history(), view, (envelopes, v) => {
        const events = stored(envelopes);
        expect(answers(toNews(events), v)).toEqual(answers(toNews(filtered(events, v), events), NOW));
      }),
      { numRuns: RUNS },
    );
  });

  it('(c) the order in which reports arrive does not change the answer', () => {
    fc.assert(
      fc.property(history(), view, fc.integer({ min: 1, max: 2 ** 30 }), (envelopes, v, seed) => {
        const a = stored(envelopes);
        const b = stored(reorder(envelopes, seed));
        expect(withoutPositions(answers(toNews(b), v))).toEqual(withoutPositions(answers(toNews(a), v)));
      }),
      { numRuns: RUNS },
    );
  });
});
