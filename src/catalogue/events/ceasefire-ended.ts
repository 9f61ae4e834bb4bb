import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { text } from '../primitives.js';

export const CeasefireEnded = defineEvent({
  type: 'CeasefireEnded',
  description: 'A ceasefire ends (GET /status).',
  data: z.object({ agreementId: idString().optional(), summary: text() }).strict(),
  references: (d) => (d.agreementId ? [ref.agreement(['agreementId'], d.agreementId)] : []),
});
