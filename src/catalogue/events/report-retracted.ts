import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { eventId, text } from '../primitives.js';

export const ReportRetracted = defineEvent({
  type: 'ReportRetracted',
  description: 'An earlier event stops counting anywhere from this event\'s reportedAt on; it stays in the log and in history.',
  data: z.object({ eventId: eventId(), reason: text() }).strict(),
  references: (d) => [ref.event(['eventId'], d.eventId)],
});
