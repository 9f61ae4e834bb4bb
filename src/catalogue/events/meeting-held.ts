import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { list, slug, text } from '../primitives.js';

export const MeetingHeld = defineEvent({
  type: 'MeetingHeld',
  description: 'A meeting took place, `direct` (default) or `indirect` (only through mediators); it is listed under every participant with its format, the host and mediators shown as mediating.',
  data: z
    .object({
      meetingId: idString().optional(),
      participants: list(z.object({ actor: slug(), person: text(200).optional() }).strict()).min(1),
      host: slug().optional(),
      location: z.object({ city: text(200).optional(), country: text(200) }).strict(),
      topics: list(slug()).optional(),
      tone: z.enum(['positive', 'neutral', 'tense']).optional(),
      /** `indirect`: the sides met only through mediators (default `direct`). */
      format: z.enum(['direct', 'indirect']).optional(),
      summary: text(),
    })
    .strict(),
  references: (d) => [
    ...d.participants.map((p, i) => ref.actor(['participants', i, 'actor'], p.actor)),
    ...(d.host ? [ref.actor(['host'], d.host)] : []),
    ...ref.issues(['topics'], d.topics),
  ],
});
