// How the property suites that start a server per run are run: PROPERTY_RUNS runs (PROPERTY_SEED
// replays one), and a time cap below Jest's test timeout. Each shrinking step starts a server
// too, so shrinking a failure could outlast the timeout, and Jest then reported a timeout in
// place of the counterexample; interrupted, fast-check reports the smallest failure found so far.
import type { Parameters } from 'fast-check';

export const PROPERTY_RUNS = Number(process.env.PROPERTY_RUNS ?? 6);

export function propertyOptions<T>(): Parameters<T> {
  return { numRuns: PROPERTY_RUNS, interruptAfterTimeLimit: 90_000, ...(process.env.PROPERTY_SEED ? { seed: Number(process.env.PROPERTY_SEED) } : {}) };
}
