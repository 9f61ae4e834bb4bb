// Parses the `asOf` / `knownAt` query parameters every read model takes (contract, Reads).
import { endOf, isCalendarDay, isDateTime } from '../catalogue/primitives.js';
import { InvalidInput } from '../http/problems.js';
import { NOW, type View } from './evidence.js';

export interface ViewParams {
  asOf?: string;
  knownAt?: string;
}

export interface ParsedView {
  view: View;
  /** Echoed back in answers, as the client sent them. */
  echo: ViewParams;
}

export function parseInstantParam(name: string, value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !(isCalendarDay(value) || isDateTime(value))) {
    throw new InvalidInput([{ path: name, message: 'must be a date (YYYY-MM-DD) or a date-time with offset' }]);
  }
  return endOf(value);
}

export function parseView(query: ViewParams): ParsedView {
  const asOf = parseInstantParam('asOf', query.asOf);
  const knownAt = parseInstantParam('knownAt', query.knownAt);
  return {
    view: { asOf: asOf ?? NOW.asOf, knownAt: knownAt ?? NOW.knownAt },
    echo: { ...(query.asOf ? { asOf: query.asOf } : {}), ...(query.knownAt ? { knownAt: query.knownAt } : {}) },
  };
}

/** `limit`: how many of the latest items each list of a position holds (at most 10 000; `fallback` when absent). */
export function parseLimit(value: unknown, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidInput([{ path: 'limit', message: 'must be a whole number from 1 to 10000' }]);
  return n;
}

/** A yes/no query switch: `true` or `false` (absent: false). */
export function parseFlag(value: unknown, path: string): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new InvalidInput([{ path, message: 'must be true or false' }]);
}
