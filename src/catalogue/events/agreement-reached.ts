import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { amount, list, slug, terms, text } from '../primitives.js';

export const phase = z
  .object({ phase: z.number().int().min(1).max(100), terms: terms.optional(), durationDays: amount(1, 3650).optional(), summary: text() })
  .strict();
export type Phase = z.infer<typeof phase>;

export const AgreementReached = defineEvent({
  type: 'AgreementReached',
  description:
    'Parties agree, `announced` or `signed` (default); each party supports the agreed issues, and an agreed proposal becomes accepted. ' +
    'Posting the same agreementId again updates it as of that occurredAt: the fields it carries replace the earlier ones (`phases` as a whole), the others stay. ' +
    '`parties` and `terms` are required when the agreement is first recorded.',
  data: z
    .object({
      agreementId: idString(),
      parties: list(slug()).min(1).optional(),
      mediators: list(slug()).optional(),
      guarantors: list(slug()).optional(),
      proposalId: idString().optional(),
      terms: terms.optional(),
      phases: list(phase, 20)
        .refine((ps) => new Set(ps.map((p) => p.phase)).size === ps.length, 'each phase number appears once')
        .optional(),
      status: z.enum(['announced', 'signed']).optional(),
      summary: text(),
    })
    .strict(),
  references: (d) => [
    ...ref.actors(['parties'], d.parties),
    ...ref.actors(['mediators'], d.mediators),
    ...ref.actors(['guarantors'], d.guarantors),
    ...(d.proposalId ? [ref.proposal(['proposalId'], d.proposalId)] : []),
  ],
});
