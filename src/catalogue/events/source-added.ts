import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { eventId, source } from '../primitives.js';

export const SourceAdded = defineEvent({
  type: 'SourceAdded',
  description: "Corroboration: a further source for an earlier event; that event's confidence is recomputed from this event's reportedAt on.",
  data: z.object({ eventId: eventId(), source }).strict(),
  references: (d) => [ref.event(['eventId'], d.eventId)],
});
