import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { list, slug, stance, terms, text } from '../primitives.js';

export const StatementIssued = defineEvent({
  type: 'StatementIssued',
  description: 'An actor states where it stands; sets each listed (actor, issue) stance.',
  data: z
    .object({
      actor: slug(),
      speaker: z.object({ name: text(200), title: text(200).optional() }).strict().optional(),
      stances: list(
        z.object({ issue: slug(), stance, terms: terms.optional(), conditions: list(text(500)).optional() }).strict(),
        20,
      ).min(1),
      summary: text(),
      quote: text().optional(),
    })
    .strict(),
  references: (d) => [ref.actor(['actor'], d.actor), ...d.stances.map((s, i) => ref.issue(['stances', i, 'issue'], s.issue))],
});
