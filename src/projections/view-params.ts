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
