import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { text } from '../primitives.js';

export const CeasefireStarted = defineEvent({
  type: 'CeasefireStarted',
  description:
    'A ceasefire takes effect (GET /status): `agreed` under an agreement (default), `de-facto` (no agreement in force, but the fighting has stopped) or `unilateral`; a `phase` of an agreement needs its `agreementId`.',
  data: z
    .object({
      agreementId: idString().optional(),
      phase: z.number().int().min(1).max(100).optional(),
      kind: z.enum(['agreed', 'de-facto', 'unilateral']).optional(),
      summary: text(),
    })
    .strict()
    .refine((d) => d.phase === undefined || d.agreementId !== undefined, { message: 'a phase is a phase of an agreement: give its agreementId', path: ['phase'] }),
  references: (d) => (d.agreementId ? [ref.agreement(['agreementId'], d.agreementId)] : []),
});
