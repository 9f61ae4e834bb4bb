import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { slug, text } from '../primitives.js';

export const ProposalResponded = defineEvent({
  type: 'ProposalResponded',
  description: "An actor answers a proposal: accepted → supports its issues, rejected → opposes; the proposal's status becomes the response.",
  data: z
    .object({
      proposalId: idString(),
      responder: slug(),
      response: z.enum(['accepted', 'rejected', 'countered', 'considering']),
      counterProposalId: idString().optional(),
      summary: text(),
    })
    .strict(),
  references: (d) => [
    ref.proposal(['proposalId'], d.proposalId),
    ref.actor(['responder'], d.responder),
    ...(d.counterProposalId ? [ref.proposal(['counterProposalId'], d.counterProposalId)] : []),
  ],
});
