import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { list, slug, terms, text } from '../primitives.js';

export const AgreementReached = defineEvent({
  type: 'AgreementReached',
  description: 'Parties agree; each supports the agreed issues, and an agreed proposal becomes accepted.',
  data: z
    .object({
      agreementId: idString(),
      parties: list(slug()).min(1),
      mediators: list(slug()).optional(),
      proposalId: idString().optional(),
      terms,
      summary: text(),
    })
    .strict(),
  references: (d) => [
    ...ref.actors(['parties'], d.parties),
    ...ref.actors(['mediators'], d.mediators),
    ...(d.proposalId ? [ref.proposal(['proposalId'], d.proposalId)] : []),
  ],
});
