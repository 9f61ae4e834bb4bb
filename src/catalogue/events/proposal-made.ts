import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { list, slug, terms, text } from '../primitives.js';

export const ProposalMade = defineEvent({
  type: 'ProposalMade',
  description: 'A proposal is drafted or tabled; the proposer supports each issue its terms touch. Posting an existing proposalId again revises it.',
  data: z
    .object({
      proposalId: idString(),
      proposer: slug(),
      mediators: list(slug()).optional(),
      addressedTo: list(slug()).optional(),
      terms,
      status: z.enum(['drafted', 'tabled']).default('tabled'),
      summary: text(),
    })
    .strict(),
  references: (d) => [ref.actor(['proposer'], d.proposer), ...ref.actors(['mediators'], d.mediators), ...ref.actors(['addressedTo'], d.addressedTo)],
});
