// Cuts an agreement as it stood for one (asOf, knownAt): its postings laid over each other in
// occurrence order, its ratifications, and the ceasefire in effect under it.
import type { Phase } from '../../catalogue/events/agreement-reached.js';
import type { Terms } from '../../catalogue/primitives.js';
import { byOccurrence, counts, type View } from '../evidence.js';
import type { CeasefireView } from '../status/status.fold.js';
import type { AgreementDoc, AgreementVersion } from './agreements.fold.js';

export interface AgreementView {
  agreementId: string;
  parties: string[];
  mediators: string[];
  guarantors: string[];
  proposalId?: string;
  terms: Terms;
  phases: Phase[];
  status: 'announced' | 'signed';
  summary: string;
  ratifiedBy: string[];
  /** The phase of the ceasefire in effect under this agreement, if any. */
  currentPhase?: number;
  ceasefire: { inEffect: boolean; since?: string; phase?: number };
  /** The postings and ratifications in view, newest first. */
  evidence: string[];
  versions: { eventId: string; occurredAt: string; status: 'announced' | 'signed' }[];
}

/** null when no posting of the agreement counts in this view (not yet known, or retracted). */
export function viewAgreement(doc: AgreementDoc | undefined, view: View, ceasefire: CeasefireView): AgreementView | null {
  if (!doc) return null;
  const versions = doc.versions.filter((v) => counts(v.ev, view)).sort(byOccurrence);
  if (versions.length === 0) return null;
  const ratifications = doc.ratifications.filter((r) => counts(r.ev, view)).sort(byOccurrence);

  // Each posting replaces the fields it carries (phases as a whole); the others stay.
  let current: Omit<AgreementVersion, 'ev' | 'occurredAt'> = { summary: '' };
  const steps: AgreementView['versions'] = [];
  for (const { ev, occurredAt, ...carried } of versions) {
    current = { ...current, ...carried };
    steps.push({ eventId: ev.id, occurredAt, status: current.status ?? 'signed' });
  }
  const underThis = ceasefire.inEffect && ceasefire.agreementId === doc.agreementId;
  return {
    agreementId: doc.agreementId,
    parties: current.parties ?? [],
    mediators: current.mediators ?? [],
    guarantors: current.guarantors ?? [],
    ...(current.proposalId ? { proposalId: current.proposalId } : {}),
    terms: current.terms ?? {},
    phases: current.phases ?? [],
    status: current.status ?? 'signed',
    summary: current.summary,
    ratifiedBy: [...new Set(ratifications.map((r) => r.by))],
    ...(underThis && ceasefire.phase !== undefined ? { currentPhase: ceasefire.phase } : {}),
    ceasefire: underThis ? { inEffect: true, since: ceasefire.since!, ...(ceasefire.phase !== undefined ? { phase: ceasefire.phase } : {}) } : { inEffect: false },
    evidence: [...versions, ...ratifications].sort(byOccurrence).map((x) => x.ev.id).reverse(),
    versions: steps,
  };
}
