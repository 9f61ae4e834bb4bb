import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { eventId, slug, text } from '../primitives.js';

export const ReportDisputed = defineEvent({
  type: 'ReportDisputed',
  description:
    "An actor or outlet contests an earlier report (a development, not a correction). From the dispute's own clocks the report's confidence is `disputed`; it still counts. Retracting the dispute lifts it.",
  data: z.object({ eventId: eventId(), by: slug().optional(), reason: text() }).strict(),
  references: (d) => [ref.event(['eventId'], d.eventId), ...(d.by ? [ref.actor(['by'], d.by)] : [])],
});
