// Cuts a proposal as it stood for one (asOf, knownAt) out of its document.
import type { Confidence } from '../../catalogue/confidence.js';
import type { Terms } from '../../catalogue/primitives.js';
import { byOccurrence, confidenceIn, counts, type View } from '../evidence.js';
import type { ProposalDoc } from './proposals.fold.js';

export interface ProposalView {
  proposalId: string;
  proposer: string;
  mediators: string[];
  addressedTo: string[];
  terms: Terms;
  summary: string;
  status: string;
  proposedAt: string;
  confidence: Confidence;
  agreementId?: string;
  evidence: string[];
  responses: { eventId: string; occurredAt: string; responder: string; response: string; counterProposalId?: string; summary: string; confidence: Confidence }[];
}

/** null when no version of the proposal counts in this view (not yet known, or retracted). */
export function viewProposal(doc: ProposalDoc | undefined, view: View): ProposalView | null {
  if (!doc) return null;
  const versions = doc.versions.filter((v) => counts(v.ev, view)).sort(byOccurrence);
  const latest = versions.at(-1);
  if (!latest) return null;
  const responses = doc.responses.filter((r) => counts(r.ev, view)).sort(byOccurrence);
  const agreements = doc.agreements.filter((a) => counts(a.ev, view)).sort(byOccurrence);

  // The status is set by whichever came last: a (re)tabling, a response, or an agreement.
  const steps = [
    ...versions.map((v) => ({ ev: v.ev, status: v.status as string })),
    ...responses.map((r) => ({ ev: r.ev, status: r.response as string })),
    ...agreements.map((a) => ({ ev: a.ev, status: 'accepted' })),
  ].sort(byOccurrence);
  const agreement = agreements.at(-1);

  return {
    proposalId: doc.proposalId,
    proposer: latest.proposer,
    mediators: latest.mediators,
    addressedTo: latest.addressedTo,
    terms: latest.terms,
    summary: latest.summary,
    status: steps.at(-1)!.status,
    proposedAt: versions[0].occurredAt,
    confidence: confidenceIn(latest.ev, view),
    ...(agreement ? { agreementId: agreement.agreementId } : {}),
    evidence: versions.map((v) => v.ev.id).reverse(),
    responses: responses.map((r) => ({
      eventId: r.ev.id,
      occurredAt: r.occurredAt,
      responder: r.responder,
      response: r.response,
      ...(r.counterProposalId ? { counterProposalId: r.counterProposalId } : {}),
      summary: r.summary,
      confidence: confidenceIn(r.ev, view),
    })),
  };
}
