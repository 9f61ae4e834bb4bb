import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { list, slug, text } from '../primitives.js';

export const PressureApplied = defineEvent({
  type: 'PressureApplied',
  description: 'An actor presses others on an issue; sets (by, issue) to demands, naming the targets.',
  data: z
    .object({ by: slug(), on: list(slug()).min(1), issue: slug(), demand: text(), summary: text() })
    .strict(),
  references: (d) => [ref.actor(['by'], d.by), ...ref.actors(['on'], d.on), ref.issue(['issue'], d.issue)],
});
