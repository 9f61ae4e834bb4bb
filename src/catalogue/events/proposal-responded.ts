import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { list, slug, stanceOnIssue, terms, text } from '../primitives.js';

export const ProposalResponded = defineEvent({
  type: 'ProposalResponded',
  description:
    "An actor answers a proposal. On the proposal's issues: accepted → supports (conditional, with `conditions`, for a \"yes, but\"), rejected → opposes, countered and considering → unchanged; " +
    "`stances` set particular issues otherwise, `terms` are the responder's own figures. The proposal's status: the latest answer, or with several addressees the least advanced of their answers.",
  data: z
    .object({
      proposalId: idString(),
      responder: slug(),
      response: z.enum(['accepted', 'rejected', 'countered', 'considering']),
      counterProposalId: idString().optional(),
      conditions: list(text(500)).min(1).optional(),
      terms: terms.optional(),
      stances: list(stanceOnIssue, 20).optional(),
      summary: text(),
    })
    .strict(),
  references: (d) => [
    ref.proposal(['proposalId'], d.proposalId),
    ref.actor(['responder'], d.responder),
    ...(d.counterProposalId ? [ref.proposal(['counterProposalId'], d.counterProposalId)] : []),
    ...(d.stances ?? []).map((s, i) => ref.issue(['stances', i, 'issue'], s.issue)),
  ],
});
