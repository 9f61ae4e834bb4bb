import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { list, slug, text } from '../primitives.js';

export const DetaineesReleased = defineEvent({
  type: 'DetaineesReleased',
  description: 'An actor releases hostages or prisoners; adds to its running total (GET /status).',
  data: z
    .object({ by: slug(), count: z.number().int().min(1).max(100_000), categories: list(text(100)).optional(), summary: text() })
    .strict(),
  references: (d) => [ref.actor(['by'], d.by)],
});
