import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { slug, text } from '../primitives.js';

export const CeasefireViolated = defineEvent({
  type: 'CeasefireViolated',
  description: 'A reported violation that does not end the ceasefire; listed under the ceasefire in effect (GET /status).',
  data: z.object({ agreementId: idString().optional(), by: slug().optional(), summary: text() }).strict(),
  references: (d) => [...(d.agreementId ? [ref.agreement(['agreementId'], d.agreementId)] : []), ...(d.by ? [ref.actor(['by'], d.by)] : [])],
});
