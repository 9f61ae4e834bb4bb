import { z } from 'zod';
import { defineEvent, idString, ref } from '../define-event.js';
import { slug, text } from '../primitives.js';

export const AgreementRatified = defineEvent({
  type: 'AgreementRatified',
  description: "A party's formal approval of an agreement (a cabinet vote); `by` must be one of the agreement's parties.",
  data: z.object({ agreementId: idString(), by: slug(), summary: text() }).strict(),
  references: (d) => [ref.agreement(['agreementId'], d.agreementId), ref.actor(['by'], d.by)],
});
