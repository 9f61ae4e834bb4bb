// Cuts a proposal as it stood for one (asOf, knownAt) out of its document.
import type { Confidence } from '../../catalogue/confidence.js';
import type { StanceOnIssue, Terms } from '../../catalogue/primitives.js';
import { byOccurrence, confidenceIn, counts, type Evidence, type View } from '../evidence.js';
import type { ProposalDoc, ProposalResponse, ProposalVersion } from './proposals.fold.js';

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
  responses: {
    eventId: string;
    occurredAt: string;
    responder: string;
    response: string;
    counterProposalId?: string;
    conditions?: string[];
    terms?: Terms;
    stances?: StanceOnIssue[];
    summary: string;
    confidence: Confidence;
  }[];
  /** Each responder's latest answer in view, whenever given. */
  answers: Record<string, { response: string; eventId: string; occurredAt: string }>;
  /** The addressees with no answer in view since the latest revision. */
  awaiting: string[];
}

/** How far an answer has got, for the least-advanced rule (contract v2): not yet answered sits in the middle. */
const ADVANCE: Record<string, number> = { rejected: 0, countered: 1, drafted: 2, tabled: 2, considering: 3, accepted: 4 };

/** null when no version of the proposal counts in this view (not yet known, or retracted). */
export function viewProposal(doc: ProposalDoc | undefined, view: View): ProposalView | null {
  if (!doc) return null;
  const versions = doc.versions.filter((v) => counts(v.ev, view)).sort(byOccurrence);
  const latest = versions.at(-1);
  if (!latest) return null;
  const responses = doc.responses.filter((r) => counts(r.ev, view)).sort(byOccurrence);
  const agreements = doc.agreements.filter((a) => counts(a.ev, view)).sort(byOccurrence);

  // After a revision only later answers count, and with addressees listed only theirs.
  const addressees = latest.addressedTo;
  const counted = responses.filter((r) => byOccurrence(r, latest) > 0 && (addressees.length === 0 || addressees.includes(r.responder)));
  const latestBy = new Map<string, ProposalResponse>();
  for (const r of counted) latestBy.set(r.responder, r);
  const status =
    addressees.length <= 1
      ? lastStep(versions, counted, agreements)
      : leastAdvanced(latest.status, addressees, latestBy, agreements.filter((a) => byOccurrence(a, latest) > 0).at(-1), counted.at(-1));
  const answers = new Map<string, ProposalResponse>();
  for (const r of responses) answers.set(r.responder, r);

  return {
    proposalId: doc.proposalId,
    proposer: latest.proposer,
    mediators: latest.mediators,
    addressedTo: latest.addressedTo,
    terms: latest.terms,
    summary: latest.summary,
    status,
    proposedAt: versions[0].occurredAt,
    confidence: confidenceIn(latest.ev, view),
    ...(agreements.length ? { agreementId: agreements.at(-1)!.agreementId } : {}),
    evidence: versions.map((v) => v.ev.id).reverse(),
    responses: responses.map((r) => ({
      eventId: r.ev.id,
      occurredAt: r.occurredAt,
      responder: r.responder,
      response: r.response,
      ...(r.counterProposalId ? { counterProposalId: r.counterProposalId } : {}),
      ...(r.conditions ? { conditions: r.conditions } : {}),
      ...(r.terms ? { terms: r.terms } : {}),
      ...(r.stances ? { stances: r.stances } : {}),
      summary: r.summary,
      confidence: confidenceIn(r.ev, view),
    })),
    // Built from entries, not by assigning to `{}`: actor slugs are data.
    answers: Object.fromEntries([...answers].map(([actor, r]) => [actor, { response: r.response, eventId: r.ev.id, occurredAt: r.occurredAt }])),
    awaiting: addressees.filter((a) => !latestBy.has(a)),
  };
}

type Dated = { ev: Evidence };

/** With no addressee or one: whichever came last sets the status — a (re)tabling, an answer, or an agreement (v1). */
function lastStep(versions: ProposalVersion[], counted: ProposalResponse[], agreements: Dated[]): string {
  const steps = [
    ...versions.map((v) => ({ ev: v.ev, status: v.status as string })),
    ...counted.map((r) => ({ ev: r.ev, status: r.response as string })),
    ...agreements.map((a) => ({ ev: a.ev, status: 'accepted' })),
  ].sort(byOccurrence);
  return steps.at(-1)!.status;
}

/**
 * With several addressees: the least advanced of their latest answers since the revision, an
 * addressee not yet answering counting as the revision's own status; an agreement naming the
 * proposal after the revision and after every answer still makes it accepted.
 */
function leastAdvanced(tabled: string, addressees: string[], latestBy: Map<string, ProposalResponse>, agreement: Dated | undefined, lastAnswer: Dated | undefined): string {
  if (agreement && byOccurrence(agreement, lastAnswer ?? agreement) >= 0) return 'accepted';
  let least = '';
  for (const a of addressees) {
    const status = latestBy.get(a)?.response ?? tabled;
    if (least === '' || ADVANCE[status] < ADVANCE[least]) least = status;
  }
  return least;
}
