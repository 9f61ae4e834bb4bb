import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { list, slug, text } from '../primitives.js';

export const DetaineesReleased = defineEvent({
  type: 'DetaineesReleased',
  description: 'An actor releases hostages or prisoners (`deceased` of them remains); adds to its running totals (GET /status).',
  data: z
    .object({ by: slug(), count: z.number().int().min(1).max(100_000), deceased: z.number().int().min(0).max(100_000).optional(), categories: list(text(100)).optional(), summary: text() })
    .strict()
    .refine((d) => d.deceased === undefined || d.deceased <= d.count, { message: 'deceased counts those of `count` who were remains: it cannot exceed count', path: ['deceased'] }),
  references: (d) => [ref.actor(['by'], d.by)],
});
