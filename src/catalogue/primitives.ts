// The building blocks every event type is made of: slugs, instants, sources, terms.
// Pure zod, no framework: the same schemas validate requests, feed OpenAPI and type the folds.
import { z } from 'zod';

export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_TEXT = 4000;
export const MAX_LIST = 50;

export const slug = () => z.string().min(1).max(64).regex(SLUG, 'must be a lowercase slug like "hamas" or "temporary-ceasefire"');
/** Something a reader can see: a letter, digit, punctuation mark or symbol (not only spaces, zero-width or control characters). */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
export const text = (max = MAX_TEXT) => z.string().trim().min(1).max(max).refine((v) => VISIBLE.test(v), 'must contain a visible character');

/**
 * An event id, in its canonical lower-case form whatever case it was sent in: PostgreSQL stores
 * uuids in lower case, so every comparison (a batch referring to its own events, a retry's
 * fingerprint) must see the form that is stored.
 */
export const eventId = () => z.uuid().overwrite((v) => v.toLowerCase());
export const list = <T extends z.ZodType>(item: T, max = MAX_LIST) => z.array(item).max(max);

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A real calendar day: rejects 2023-02-30, which `new Date` would roll over to March. */
export function isCalendarDay(value: string): boolean {
  const m = DAY.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

export function isDateTime(value: string): boolean {
  return DATE_TIME.test(value) && isCalendarDay(value.slice(0, 10)) && !Number.isNaN(Date.parse(value));
}

/** How far ahead of the server's clock a report may be dated (time zones, clock drift). */
export const FUTURE_TOLERANCE_MS = 36 * 3600 * 1000;

/** `2023-12-19` (a whole day, kept as a day) or `2023-12-19T14:00:00+02:00` (an instant). */
export const instant = () =>
  z.string().superRefine((v, ctx) => {
    const problem = instantProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** What is wrong with an instant, if anything: the format checked once, not once per rule (every envelope has two or more). */
function instantProblem(v: string): string | undefined {
  if (!isCalendarDay(v) && !isDateTime(v)) return 'must be a date (YYYY-MM-DD) or a date-time with offset';
  const at = startOf(v);
  if (!(at <= Date.now() + FUTURE_TOLERANCE_MS)) return 'must not be in the future';
  if (!(at >= Date.UTC(1900, 0, 1))) return 'must not be before 1900';
  return undefined;
}

/**
 * When something occurred: an instant, or an uncertain date — an interval `A/B` (at some moment
 * within) or an upper bound `../B` (on or before). Kept as sent; it counts as its end.
 */
export const occurrence = () =>
  z.string().superRefine((v, ctx) => {
    const problem = occurrenceProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export interface Occurrence {
  /** The end: the moment that orders it and decides `asOf`, exactly as if sent alone. */
  end: string;
  /** The start of an interval (undefined for an instant or an upper bound). */
  start?: string;
  /** An interval or an upper bound, as opposed to an instant. */
  uncertain: boolean;
}

export function parseOccurrence(v: string): Occurrence {
  const slash = v.indexOf('/');
  if (slash < 0) return { end: v, uncertain: false };
  const start = v.slice(0, slash);
  return { end: v.slice(slash + 1), ...(start === '..' ? {} : { start }), uncertain: true };
}

function occurrenceProblem(v: string): string | undefined {
  const { start, end, uncertain } = parseOccurrence(v);
  if (!uncertain) return instantProblem(v);
  const form = 'must be a date or date-time, an interval "A/B" or an upper bound "../B"';
  if (end === '..' || end === '') return `${form}; an interval needs an end`;
  if (v.split('/').length !== 2 || (start === undefined && !v.startsWith('../'))) return form;
  const endProblem = instantProblem(end);
  if (endProblem) return `its end ${endProblem}`;
  if (start !== undefined) {
    const startProblem = instantProblem(start);
    if (startProblem) return `its start ${startProblem}`;
    if (startOf(start) > endOf(end)) return 'its start must not be after its end';
  }
  return undefined;
}

/**
 * The clocks an occurrence is stored with: its end as the sort key (exactly as that end would be
 * if sent alone), whether that end is a day, and for an uncertain one the text as sent and the
 * start of its interval.
 */
export function occurrenceClocks(v: string): { occurredAt: Date; occurredIsDay: boolean; occurredText: string | null; occurredFrom: Date | null } {
  const { end, start, uncertain } = parseOccurrence(v);
  return {
    occurredAt: new Date(startOf(end)),
    occurredIsDay: isCalendarDay(end),
    occurredText: uncertain ? v : null,
    occurredFrom: start === undefined ? null : new Date(startOf(start)),
  };
}

/** Sort key of an instant: a day counts from its first moment, so it orders before anything later that day. */
export function startOf(value: string): number {
  return isCalendarDay(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
}

/** Bound of a query parameter: a bare date means the end of that day, UTC (contract, Time). */
export function endOf(value: string): number {
  return isCalendarDay(value) ? Date.parse(`${value}T00:00:00Z`) + 86_400_000 - 1 : Date.parse(value);
}

/** A date or a date-time with offset that may lie in the future (a deadline), unlike an event's own clocks. */
export const moment = () => z.string().refine((v) => isCalendarDay(v) || isDateTime(v), 'must be a date (YYYY-MM-DD) or a date-time with offset');

export const attribution = z.enum(['official', 'named', 'anonymous']);
export type Attribution = z.infer<typeof attribution>;

export const source = z
  .object({
    outlet: text(200),
    url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
    attribution,
    publishedAt: instant().optional(),
  })
  .strict();
export type Source = z.infer<typeof source>;

export const sources = () => list(source, 20).min(1, 'at least one source is required');

/**
 * A whole number, or a range `{ min, max }` of them where reporting gives one ("990 to 1,650
 * prisoners"); kept as sent.
 */
export const amount = (min: number, max: number) =>
  z.union([
    z.number().int().min(min).max(max),
    z
      .object({ min: z.number().int().min(min).max(max), max: z.number().int().min(min).max(max) })
      .strict()
      .refine((r) => r.min <= r.max, { message: 'min must not be greater than max', path: ['min'] }),
  ]);
export type Amount = number | { min: number; max: number };

export const terms = z
  .object({
    ceasefire: z.object({ kind: z.enum(['temporary', 'permanent']), durationDays: amount(1, 3650).optional() }).strict().optional(),
    hostagesReleased: z.object({ count: amount(0, 100_000).optional(), categories: list(text(100)).optional() }).strict().optional(),
    prisonersReleased: z.object({ count: amount(0, 100_000).optional() }).strict().optional(),
    humanitarianAid: z.object({ summary: text() }).strict().optional(),
  })
  .strict();
export type Terms = z.infer<typeof terms>;

/** The issues a set of terms touches (contract, ProposalMade). */
export function issuesTouchedBy(t: Terms): string[] {
  const issues: string[] = [];
  if (t.ceasefire) issues.push(t.ceasefire.kind === 'permanent' ? 'permanent-ceasefire' : 'temporary-ceasefire');
  if (t.hostagesReleased || t.prisonersReleased) issues.push('hostage-exchange');
  if (t.humanitarianAid) issues.push('humanitarian-aid');
  return issues;
}

export const stance = z.enum(['supports', 'opposes', 'demands', 'conditional', 'undecided']);
export type Stance = z.infer<typeof stance>;

/** Where an actor stands on one issue, as a statement, an answer or a claim about it says. */
export const stanceOnIssue = z.object({ issue: slug(), stance, terms: terms.optional(), conditions: list(text(500)).optional() }).strict();
export type StanceOnIssue = z.infer<typeof stanceOnIssue>;

export const speaker = z.object({ name: text(200), title: text(200).optional() }).strict();
