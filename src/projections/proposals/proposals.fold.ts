// Proposals (owns: every proposal's versions, responses and agreements). One document per
// proposal; its status and terms for any (asOf, knownAt) are cut by proposals.view.ts.
import { assertNever, type DomainEvent, type NewsEvent } from '../../catalogue/news-event.js';
import type { StanceOnIssue, Terms } from '../../catalogue/primitives.js';
import { corrected, evidenceOf, evidenceUpdate, underlyingTarget, type Evidence } from '../evidence.js';
import type { Changes, DocReader, Projection } from '../projection.js';

export interface ProposalVersion {
  ev: Evidence;
  occurredAt: string;
  proposer: string;
  mediators: string[];
  addressedTo: string[];
  terms: Terms;
  status: 'drafted' | 'tabled';
  summary: string;
}

export interface ProposalResponse {
  ev: Evidence;
  occurredAt: string;
  responder: string;
  response: 'accepted' | 'rejected' | 'countered' | 'considering';
  counterProposalId?: string;
  conditions?: string[];
  terms?: Terms;
  stances?: StanceOnIssue[];
  summary: string;
}

export interface ProposalAgreement {
  ev: Evidence;
  occurredAt: string;
  agreementId: string;
  parties: string[];
}

export interface ProposalDoc {
  proposalId: string;
  versions: ProposalVersion[];
  responses: ProposalResponse[];
  agreements: ProposalAgreement[];
}

/** The proposals an event is about: every event type decides (adding one fails to compile until it does). */
function proposalsOf(event: DomainEvent): string[] {
  switch (event.type) {
    case 'ProposalMade':
    case 'ProposalResponded':
      return [event.data.proposalId];
    case 'AgreementReached':
      return event.data.proposalId ? [event.data.proposalId] : [];
    case 'StatementIssued':
    case 'PositionClaimed':
    case 'MeetingHeld':
    case 'PressureApplied':
    case 'AgreementRatified':
    case 'CeasefireStarted':
    case 'CeasefireEnded':
    case 'CeasefireViolated':
    case 'DetaineesReleased':
      return [];
    default:
      return assertNever(event);
  }
}

export function evolveProposals(docs: DocReader<ProposalDoc>, event: NewsEvent): Changes<ProposalDoc> {
  const correction = evidenceUpdate(event);
  if (correction) return corrected(docs, readsOf(event), correction);
  const e = event as DomainEvent;
  const ev = evidenceOf(e);
  const get = (id: string): ProposalDoc => docs.get(id) ?? { proposalId: id, versions: [], responses: [], agreements: [] };
  switch (e.type) {
    case 'ProposalMade': {
      const d = e.data;
      const doc = get(d.proposalId);
      const version: ProposalVersion = {
        ev, occurredAt: e.occurredAt, proposer: d.proposer, mediators: d.mediators ?? [], addressedTo: d.addressedTo ?? [], terms: d.terms, status: d.status, summary: d.summary,
      };
      return new Map([[d.proposalId, { ...doc, versions: [...doc.versions, version] }]]);
    }
    case 'ProposalResponded': {
      const d = e.data;
      const doc = get(d.proposalId);
      const response: ProposalResponse = { ev, occurredAt: e.occurredAt, responder: d.responder, response: d.response, summary: d.summary };
      if (d.counterProposalId) response.counterProposalId = d.counterProposalId;
      if (d.conditions) response.conditions = d.conditions;
      if (d.terms) response.terms = d.terms;
      if (d.stances) response.stances = d.stances;
      return new Map([[d.proposalId, { ...doc, responses: [...doc.responses, response] }]]);
    }
    case 'AgreementReached': {
      const d = e.data;
      if (!d.proposalId) return new Map();
      const doc = get(d.proposalId);
      return new Map([[d.proposalId, { ...doc, agreements: [...doc.agreements, { ev, occurredAt: e.occurredAt, agreementId: d.agreementId, parties: d.parties ?? [] }] }]]);
    }
    default:
      return new Map();
  }
}

function readsOf(event: NewsEvent): string[] {
  const target = underlyingTarget(event);
  if (target) return proposalsOf(target);
  return proposalsOf(event as DomainEvent);
}

export const proposalsProjection: Projection<ProposalDoc> = {
  name: 'proposals',
  version: 3,
  reads: readsOf,
  evolve: evolveProposals,
};
