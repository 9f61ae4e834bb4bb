// Status (owns: whether a ceasefire is in effect and since when, detainees released per actor).
// A single document of ceasefire changes and releases, cut per (asOf, knownAt) by viewStatus.
import type { DomainEvent, NewsEvent } from '../../catalogue/news-event.js';
import { byOccurrence, counts, evidenceOf, evidenceUpdate, mapEvidence, underlyingTarget, type Evidence, type View } from '../evidence.js';
import type { DocReader, Projection } from '../projection.js';

export interface StatusDoc {
  ceasefire: { ev: Evidence; occurredAt: string; inEffect: boolean; agreementId?: string; summary: string }[];
  releases: { ev: Evidence; occurredAt: string; by: string; count: number; categories?: string[] }[];
}

export const STATUS_KEY = 'status';
const EMPTY: StatusDoc = { ceasefire: [], releases: [] };

function concernsStatus(e: DomainEvent): boolean {
  return e.type === 'CeasefireStarted' || e.type === 'CeasefireEnded' || e.type === 'DetaineesReleased';
}

export function evolveStatus(docs: DocReader<StatusDoc>, event: NewsEvent): Record<string, StatusDoc> {
  const doc = docs.get(STATUS_KEY) ?? EMPTY;
  const correction = evidenceUpdate(event);
  if (correction) {
    if (!concernsStatus(underlyingTarget(event) as DomainEvent)) return {};
    const next = mapEvidence(doc, correction.targetId, correction.update);
    return next !== doc ? { [STATUS_KEY]: next } : {};
  }
  const e = event as DomainEvent;
  const ev = evidenceOf(e);
  if (e.type === 'CeasefireStarted' || e.type === 'CeasefireEnded') {
    const change = { ev, occurredAt: e.occurredAt, inEffect: e.type === 'CeasefireStarted', agreementId: e.data.agreementId, summary: e.data.summary };
    return { [STATUS_KEY]: { ...doc, ceasefire: [...doc.ceasefire, change] } };
  }
  if (e.type === 'DetaineesReleased') {
    const release = { ev, occurredAt: e.occurredAt, by: e.data.by, count: e.data.count, categories: e.data.categories };
    return { [STATUS_KEY]: { ...doc, releases: [...doc.releases, release] } };
  }
  return {};
}

export interface StatusView {
  ceasefire: { inEffect: boolean; since: string | null; agreementId?: string; summary?: string; eventId?: string };
  detaineesReleased: Record<string, number>;
  releases: { eventId: string; occurredAt: string; by: string; count: number; categories?: string[] }[];
}

export function viewStatus(doc: StatusDoc | undefined, view: View): StatusView {
  const d = doc ?? EMPTY;
  const last = d.ceasefire.filter((c) => counts(c.ev, view)).sort(byOccurrence).at(-1);
  const releases = d.releases.filter((r) => counts(r.ev, view)).sort(byOccurrence);
  const totals: Record<string, number> = {};
  for (const r of releases) totals[r.by] = (totals[r.by] ?? 0) + r.count;
  return {
    ceasefire: last
      ? { inEffect: last.inEffect, since: last.occurredAt, ...(last.agreementId ? { agreementId: last.agreementId } : {}), summary: last.summary, eventId: last.ev.id }
      : { inEffect: false, since: null },
    detaineesReleased: totals,
    releases: releases.map((r) => ({ eventId: r.ev.id, occurredAt: r.occurredAt, by: r.by, count: r.count, ...(r.categories ? { categories: r.categories } : {}) })),
  };
}

export const statusProjection: Projection<StatusDoc> = {
  name: 'status',
  version: 1,
  evolve: evolveStatus,
};
