// Status (owns: whether a ceasefire is in effect and since when, detainees released per actor).
// One entry per ceasefire change or release; viewStatus cuts any (asOf, knownAt) view from them.
import { assertNever, type DomainEvent, type NewsEvent } from '../../catalogue/news-event.js';
import { byOccurrence, corrected, counts, evidenceOf, evidenceUpdate, underlyingTarget, type Evidence, type View } from '../evidence.js';
import type { Changes, DocReader, Projection } from '../projection.js';

export type CeasefireKind = 'agreed' | 'de-facto' | 'unilateral';

export type StatusDoc =
  | { ev: Evidence; occurredAt: string; kind: 'ceasefire'; inEffect: boolean; agreementId?: string; ceasefireKind?: CeasefireKind; phase?: number; summary: string }
  | { ev: Evidence; occurredAt: string; kind: 'violation'; agreementId?: string; by?: string; summary: string }
  | { ev: Evidence; occurredAt: string; kind: 'release'; by: string; count: number; deceased?: number; categories?: string[] };

/** Whether status keeps an entry for the event: every event type decides (adding one fails to compile until it does). */
function concernsStatus(e: DomainEvent): boolean {
  switch (e.type) {
    case 'CeasefireStarted':
    case 'CeasefireEnded':
    case 'CeasefireViolated':
    case 'DetaineesReleased':
      return true;
    case 'StatementIssued':
    case 'PositionClaimed':
    case 'ProposalMade':
    case 'ProposalResponded':
    case 'MeetingHeld':
    case 'PressureApplied':
    case 'AgreementReached':
    case 'AgreementRatified':
      return false;
    default:
      return assertNever(e);
  }
}

function readsOf(event: NewsEvent): string[] {
  const target = underlyingTarget(event);
  return target && concernsStatus(target) ? [target.id] : [];
}

export function evolveStatus(docs: DocReader<StatusDoc>, event: NewsEvent): Changes<StatusDoc> {
  const correction = evidenceUpdate(event);
  if (correction) return corrected(docs, readsOf(event), correction);
  const e = event as DomainEvent;
  const ev = evidenceOf(e);
  if (e.type === 'CeasefireStarted' || e.type === 'CeasefireEnded') {
    const change: StatusDoc = { ev, occurredAt: e.occurredAt, kind: 'ceasefire', inEffect: e.type === 'CeasefireStarted', summary: e.data.summary };
    if (e.data.agreementId) change.agreementId = e.data.agreementId;
    if (e.type === 'CeasefireStarted') {
      change.ceasefireKind = e.data.kind ?? 'agreed';
      if (e.data.phase !== undefined) change.phase = e.data.phase;
    }
    return new Map([[e.id, change]]);
  }
  if (e.type === 'CeasefireViolated') {
    const violation: StatusDoc = { ev, occurredAt: e.occurredAt, kind: 'violation', summary: e.data.summary };
    if (e.data.agreementId) violation.agreementId = e.data.agreementId;
    if (e.data.by) violation.by = e.data.by;
    return new Map([[e.id, violation]]);
  }
  if (e.type === 'DetaineesReleased') {
    const release: StatusDoc = { ev, occurredAt: e.occurredAt, kind: 'release', by: e.data.by, count: e.data.count };
    if (e.data.deceased !== undefined) release.deceased = e.data.deceased;
    if (e.data.categories) release.categories = e.data.categories;
    return new Map([[e.id, release]]);
  }
  return new Map();
}

export interface CeasefireView {
  inEffect: boolean;
  since: string | null;
  agreementId?: string;
  kind?: CeasefireKind;
  phase?: number;
  summary?: string;
  eventId?: string;
  /** Violations reported since the ceasefire in effect began (none when no ceasefire is in effect). */
  violations: { eventId: string; occurredAt: string; by?: string; agreementId?: string; summary: string }[];
}

export interface StatusView {
  ceasefire: CeasefireView;
  detaineesReleased: Record<string, number>;
  deceasedReleased: Record<string, number>;
  releases: { eventId: string; occurredAt: string; by: string; count: number; deceased?: number; categories?: string[] }[];
}

/** The ceasefire as it stands in this view: the latest change decides; violations count since it began. */
export function viewCeasefire(docs: readonly StatusDoc[], view: View): CeasefireView {
  const live = docs.filter((d) => d.kind !== 'release' && counts(d.ev, view)).sort(byOccurrence);
  let last: Extract<StatusDoc, { kind: 'ceasefire' }> | undefined;
  for (const d of live) if (d.kind === 'ceasefire') last = d;
  if (!last) return { inEffect: false, since: null, violations: [] };
  const violations = last.inEffect ? live.filter((d): d is Extract<StatusDoc, { kind: 'violation' }> => d.kind === 'violation' && byOccurrence(d, last!) > 0) : [];
  return {
    inEffect: last.inEffect,
    since: last.occurredAt,
    ...(last.agreementId ? { agreementId: last.agreementId } : {}),
    ...(last.inEffect ? { kind: last.ceasefireKind ?? 'agreed' } : {}),
    ...(last.inEffect && last.phase !== undefined ? { phase: last.phase } : {}),
    summary: last.summary,
    eventId: last.ev.id,
    violations: violations.map((v) => ({ eventId: v.ev.id, occurredAt: v.occurredAt, ...(v.by ? { by: v.by } : {}), ...(v.agreementId ? { agreementId: v.agreementId } : {}), summary: v.summary })),
  };
}

export function viewStatus(docs: readonly StatusDoc[], view: View): StatusView {
  const releases = docs.filter((d): d is Extract<StatusDoc, { kind: 'release' }> => d.kind === 'release' && counts(d.ev, view)).sort(byOccurrence);
  // Maps, not `{}`: actor slugs are data, and `constructor` must not find Object.prototype's.
  const totals = new Map<string, number>();
  const deceased = new Map<string, number>();
  for (const r of releases) {
    totals.set(r.by, (totals.get(r.by) ?? 0) + r.count);
    if (r.deceased) deceased.set(r.by, (deceased.get(r.by) ?? 0) + r.deceased);
  }
  return {
    ceasefire: viewCeasefire(docs, view),
    detaineesReleased: Object.fromEntries(totals),
    deceasedReleased: Object.fromEntries(deceased),
    releases: releases.map((r) => ({ eventId: r.ev.id, occurredAt: r.occurredAt, by: r.by, count: r.count, ...(r.deceased !== undefined ? { deceased: r.deceased } : {}), ...(r.categories ? { categories: r.categories } : {}) })),
  };
}

export const statusProjection: Projection<StatusDoc> = {
  name: 'status',
  version: 3,
  reads: readsOf,
  evolve: evolveStatus,
};
