// Evidence: what every projected entry remembers of the event it came from, so that any
// (asOf, knownAt) view can be cut from the same documents — late reports, corroborations and
// retractions included — without re-reading the log.
import { confidenceOf, type Confidence } from '../catalogue/confidence.js';
import { isCorrection } from '../catalogue/catalogue.js';
import type { Correction, DomainEvent, NewsEvent, Stamp } from '../catalogue/news-event.js';
import type { Changes, DocReader } from './projection.js';
import type { Source } from '../catalogue/primitives.js';

export interface Evidence {
  id: string;
  stamp: Stamp;
  sources: Source[];
  /** Sources added later by SourceAdded, each counting from its own stamp. */
  added: { id: string; stamp: Stamp; source: Source; retracted: Stamp[] }[];
  /** Stamps of the retractions of this event. */
  retracted: Stamp[];
  /** Disputes of this event (ReportDisputed), each from its own stamp, lifted by its retraction. */
  disputed?: { id: string; stamp: Stamp; retracted: Stamp[] }[];
}

/** The cut a reader asks for: only what occurred by `asOf` and was reported by `knownAt` (epoch ms). */
export interface View {
  asOf: number;
  knownAt: number;
}

export const NOW: View = { asOf: Number.POSITIVE_INFINITY, knownAt: Number.POSITIVE_INFINITY };

export function inView(stamp: Stamp, view: View): boolean {
  return stamp.occurred <= view.asOf && stamp.reported <= view.knownAt;
}

/** One frozen empty list for everything that has none: lists here are copied, never pushed to. */
export const NO_ITEMS = Object.freeze([]) as never[];
/** Where an event keeps its record once made (a WeakMap cost more than the allocations it saved). */
const MADE = Symbol('evidence');

/**
 * The evidence record of an event as it arrives, one per event whichever projection asks: a
 * record is never changed in place (a correction makes a new one), so the projections can share
 * it, and a rebuild allocates and keeps a quarter as many.
 */
export function evidenceOf(event: NewsEvent): Evidence {
  const memo = event as NewsEvent & { [MADE]?: Evidence };
  return (memo[MADE] ??= { id: event.id, stamp: event.stamp, sources: event.sources, added: NO_ITEMS, retracted: NO_ITEMS });
}

/** The entry counts in this view: its event is in view and no retraction of it is. */
export function counts(ev: Evidence, view: View): boolean {
  return inView(ev.stamp, view) && !ev.retracted.some((s) => inView(s, view));
}

/** The event's own sources, then those added later in the order they occurred. */
export function sourcesInView(ev: Evidence, view: View): Source[] {
  const added = ev.added
    .filter((a) => inView(a.stamp, view) && !a.retracted.some((s) => inView(s, view)))
    .sort((a, b) => a.stamp.occurred - b.stamp.occurred || a.stamp.position - b.stamp.position);
  return [...ev.sources, ...added.map((a) => a.source)];
}

/** A dispute in view that no retraction in view has lifted makes the event `disputed`. */
export function confidenceIn(ev: Evidence, view: View): Confidence {
  if (ev.disputed?.some((d) => inView(d.stamp, view) && !d.retracted.some((s) => inView(s, view)))) return 'disputed';
  return confidenceOf(sourcesInView(ev, view));
}

export function byOccurrence(a: { ev: Evidence }, b: { ev: Evidence }): number {
  return a.ev.stamp.occurred - b.ev.stamp.occurred || a.ev.stamp.position - b.ev.stamp.position;
}

/**
 * How a correction changes the evidence of the event it is about, or undefined if `event` is
 * not one. Retracting a SourceAdded withdraws the added source; retracting a ReportDisputed
 * lifts the dispute.
 */
export function evidenceUpdate(event: NewsEvent): { targetId: string; update: (ev: Evidence) => Evidence } | undefined {
  switch (event.type) {
    case 'SourceAdded': {
      const added = { id: event.id, stamp: event.stamp, source: event.data.source, retracted: [] as Stamp[] };
      return { targetId: event.target.id, update: (ev) => ({ ...ev, added: [...ev.added, added] }) };
    }
    case 'ReportDisputed': {
      const dispute = { id: event.id, stamp: event.stamp, retracted: [] as Stamp[] };
      return { targetId: event.target.id, update: (ev) => ({ ...ev, disputed: [...(ev.disputed ?? []), dispute] }) };
    }
    case 'ReportRetracted': {
      const target = event.target;
      if (target.type === 'SourceAdded') {
        return {
          targetId: target.data.eventId,
          update: (ev) => ({ ...ev, added: ev.added.map((a) => (a.id === target.id ? { ...a, retracted: [...a.retracted, event.stamp] } : a)) }),
        };
      }
      if (target.type === 'ReportDisputed') {
        return {
          targetId: target.data.eventId,
          update: (ev) => ({ ...ev, disputed: (ev.disputed ?? []).map((d) => (d.id === target.id ? { ...d, retracted: [...d.retracted, event.stamp] } : d)) }),
        };
      }
      return { targetId: target.id, update: (ev) => ({ ...ev, retracted: [...ev.retracted, event.stamp] }) };
    }
    default:
      return undefined;
  }
}

/** The development whose entries a correction updates (one level down for a retracted SourceAdded or ReportDisputed). */
export function underlyingTarget(event: NewsEvent): DomainEvent | undefined {
  if (!isCorrection(event.type)) return undefined;
  const target = (event as Correction).target;
  if (!isCorrection(target.type)) return target as DomainEvent;
  const next = (target as Correction).target;
  return isCorrection(next.type) ? undefined : (next as DomainEvent);
}

/** Applies `update` to every entry of `value` (at any depth) whose evidence is `targetId`, sharing the rest. */
export function mapEvidence<T>(value: T, targetId: string, update: (ev: Evidence) => Evidence): T {
  if (Array.isArray(value)) {
    let changed = false;
    const next = value.map((item) => {
      const mapped = mapEvidence(item, targetId, update);
      if (mapped !== item) changed = true;
      return mapped;
    });
    return (changed ? next : value) as T;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (isEvidence(record)) return (record.id === targetId ? update(record as unknown as Evidence) : record) as T;
    let changed = false;
    const next = Object.entries(record).map(([k, v]) => {
      const mapped = mapEvidence(v, targetId, update);
      if (mapped !== v) changed = true;
      return [k, mapped] as const;
    });
    // fromEntries defines own properties: a field named like a prototype member (even
    // "__proto__", which JSON.parse keeps as a plain key) stays a field.
    return (changed ? Object.fromEntries(next) : value) as T;
  }
  return value;
}

function isEvidence(v: Record<string, unknown>): boolean {
  return typeof v.id === 'string' && typeof v.stamp === 'object' && Array.isArray(v.retracted) && Array.isArray(v.added);
}

/**
 * Names the version of an evidence record (undefined if `v` is none): its event and how many
 * corrections it holds. Each SourceAdded or ReportRetracted adds exactly one, to every entry of
 * the event in the same fold, so two records with the same version are equal.
 */
export function evidenceVersion(v: Record<string, unknown>): string | undefined {
  if (!isEvidence(v)) return undefined;
  const ev = v as unknown as Evidence;
  let corrections = ev.retracted.length + ev.added.length + (ev.disputed?.length ?? 0);
  for (const a of ev.added) corrections += a.retracted.length;
  for (const d of ev.disputed ?? []) corrections += d.retracted.length;
  return `${ev.id}#${corrections}`;
}

/** Applies a correction to the documents at `keys` (those holding the corrected event); returns the changed ones. */
export function corrected<D>(docs: DocReader<D>, keys: string[], correction: NonNullable<ReturnType<typeof evidenceUpdate>>): Changes<D> {
  const changes: Changes<D> = new Map();
  for (const key of keys) {
    const doc = docs.get(key);
    const next = doc && mapEvidence(doc, correction.targetId, correction.update);
    if (next && next !== doc) changes.set(key, next);
  }
  return changes;
}
