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

/** Sort key of an instant: a day counts from its first moment, so it orders before anything later that day. */
export function startOf(value: string): number {
  return isCalendarDay(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
}

/** Bound of a query parameter: a bare date means the end of that day, UTC (contract, Time). */
export function endOf(value: string): number {
  return isCalendarDay(value) ? Date.parse(`${value}T00:00:00Z`) + 86_400_000 - 1 : Date.parse(value);
}

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

export const terms = z
  .object({
    ceasefire: z.object({ kind: z.enum(['temporary', 'permanent']), durationDays: z.number().int().min(1).max(3650).optional() }).strict().optional(),
    hostagesReleased: z.object({ count: z.number().int().min(0).max(100_000).optional(), categories: list(text(100)).optional() }).strict().optional(),
    prisonersReleased: z.object({ count: z.number().int().min(0).max(100_000).optional() }).strict().optional(),
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
