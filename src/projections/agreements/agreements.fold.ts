// Agreements (owns: every agreement's postings and ratifications). One document per agreement;
// agreements.view.ts cuts what it was, as of and as known on any day, out of it.
import type { Phase } from '../../catalogue/events/agreement-reached.js';
import { assertNever, type DomainEvent, type NewsEvent } from '../../catalogue/news-event.js';
import type { Terms } from '../../catalogue/primitives.js';
import { corrected, evidenceOf, evidenceUpdate, underlyingTarget, type Evidence } from '../evidence.js';
import type { Changes, DocReader, Projection } from '../projection.js';

/** One posting of the agreement: only the fields it carries (the view lays them over the earlier ones). */
export interface AgreementVersion {
  ev: Evidence;
  occurredAt: string;
  parties?: string[];
  mediators?: string[];
  guarantors?: string[];
  proposalId?: string;
  terms?: Terms;
  phases?: Phase[];
  status?: 'announced' | 'signed';
  summary: string;
}

export interface AgreementDoc {
  agreementId: string;
  versions: AgreementVersion[];
  ratifications: { ev: Evidence; occurredAt: string; by: string; summary: string }[];
}

/** The agreement an event is about: every event type decides (adding one fails to compile until it does). */
function agreementOf(event: DomainEvent): string | undefined {
  switch (event.type) {
    case 'AgreementReached':
    case 'AgreementRatified':
      return event.data.agreementId;
    case 'StatementIssued':
    case 'PositionClaimed':
    case 'ProposalMade':
    case 'ProposalResponded':
    case 'MeetingHeld':
    case 'PressureApplied':
    case 'CeasefireStarted':
    case 'CeasefireEnded':
    case 'CeasefireViolated':
    case 'DetaineesReleased':
      return undefined;
    default:
      return assertNever(event);
  }
}

function readsOf(event: NewsEvent): string[] {
  const target = underlyingTarget(event);
  const id = agreementOf(target ?? (event as DomainEvent));
  return id ? [id] : [];
}

export function evolveAgreements(docs: DocReader<AgreementDoc>, event: NewsEvent): Changes<AgreementDoc> {
  const correction = evidenceUpdate(event);
  if (correction) return corrected(docs, readsOf(event), correction);
  const e = event as DomainEvent;
  const get = (id: string): AgreementDoc => docs.get(id) ?? { agreementId: id, versions: [], ratifications: [] };
  if (e.type === 'AgreementReached') {
    const { agreementId, ...carried } = e.data;
    const doc = get(agreementId);
    return new Map([[agreementId, { ...doc, versions: [...doc.versions, { ev: evidenceOf(e), occurredAt: e.occurredAt, ...carried }] }]]);
  }
  if (e.type === 'AgreementRatified') {
    const doc = get(e.data.agreementId);
    return new Map([[e.data.agreementId, { ...doc, ratifications: [...doc.ratifications, { ev: evidenceOf(e), occurredAt: e.occurredAt, by: e.data.by, summary: e.data.summary }] }]]);
  }
  return new Map();
}

export const agreementsProjection: Projection<AgreementDoc> = {
  name: 'agreements',
  version: 1,
  reads: readsOf,
  evolve: evolveAgreements,
};
