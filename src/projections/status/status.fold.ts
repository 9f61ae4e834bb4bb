// Status (owns: whether a ceasefire is in effect and since when, detainees released per actor).
// One entry per ceasefire change or release; viewStatus cuts any (asOf, knownAt) view from them.
import { assertNever, type DomainEvent, type NewsEvent } from '../../catalogue/news-event.js';
import { byOccurrence, corrected, counts, evidenceOf, evidenceUpdate, underlyingTarget, type Evidence, type View } from '../evidence.js';
import type { Changes, DocReader, Projection } from '../projection.js';

export type StatusDoc =
  | { ev: Evidence; occurredAt: string; kind: 'ceasefire'; inEffect: boolean; agreementId?: string; summary: string }
  | { ev: Evidence; occurredAt: string; kind: 'release'; by: string; count: number; categories?: string[] };

/** Whether status keeps an entry for the event: every event type decides (adding one fails to compile until it does). */
function concernsStatus(e: DomainEvent): boolean {
  switch (e.type) {
    case 'CeasefireStarted':
    case 'CeasefireEnded':
    case 'DetaineesReleased':
      return true;
    case 'StatementIssued':
    case 'PositionClaimed':
    case 'ProposalMade':
    case 'ProposalResponded':
    case 'MeetingHeld':
    case 'PressureApplied':
    case 'AgreementReached':
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
    return new Map([[e.id, change]]);
  }
  if (e.type === 'DetaineesReleased') {
    const release: StatusDoc = { ev, occurredAt: e.occurredAt, kind: 'release', by: e.data.by, count: e.data.count };
    if (e.data.categories) release.categories = e.data.categories;
    return new Map([[e.id, release]]);
  }
  return new Map();
}

export interface StatusView {
  ceasefire: { inEffect: boolean; since: string | null; agreementId?: string; summary?: string; eventId?: string };
  detaineesReleased: Record<string, number>;
  releases: { eventId: string; occurredAt: string; by: string; count: number; categories?: string[] }[];
}

export function viewStatus(docs: readonly StatusDoc[], view: View): StatusView {
  const live = docs.filter((d) => counts(d.ev, view)).sort(byOccurrence);
  const last = live.filter((d) => d.kind === 'ceasefire').at(-1);
  const releases = live.filter((d) => d.kind === 'release');
  // A Map, not `{}`: actor slugs are data, and `constructor` must not find Object.prototype's.
  const totals = new Map<string, number>();
  for (const r of releases) totals.set(r.by, (totals.get(r.by) ?? 0) + r.count);
  return {
    ceasefire: last
      ? { inEffect: last.inEffect, since: last.occurredAt, ...(last.agreementId ? { agreementId: last.agreementId } : {}), summary: last.summary, eventId: last.ev.id }
      : { inEffect: false, since: null },
    detaineesReleased: Object.fromEntries(totals),
    releases: releases.map((r) => ({ eventId: r.ev.id, occurredAt: r.occurredAt, by: r.by, count: r.count, ...(r.categories ? { categories: r.categories } : {}) })),
  };
}

export const statusProjection: Projection<StatusDoc> = {
  name: 'status',
  version: 2,
  reads: readsOf,
  evolve: evolveStatus,
};
