import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { list, slug, speaker, stanceOnIssue, text } from '../primitives.js';

export const StatementIssued = defineEvent({
  type: 'StatementIssued',
  description: 'An actor states where it stands; sets each listed (actor, issue) stance.',
  data: z
    .object({
      actor: slug(),
      speaker: speaker.optional(),
      stances: list(stanceOnIssue, 20).min(1),
      summary: text(),
      quote: text().optional(),
    })
    .strict(),
  references: (d) => [ref.actor(['actor'], d.actor), ...d.stances.map((s, i) => ref.issue(['stances', i, 'issue'], s.issue))],
});
