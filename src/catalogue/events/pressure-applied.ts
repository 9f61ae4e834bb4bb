import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { list, moment, slug, text } from '../primitives.js';

export const PressureApplied = defineEvent({
  type: 'PressureApplied',
  description: 'An actor presses others on an issue, perhaps by a `deadline` (which may lie in the future); sets (by, issue) to demands, naming the targets.',
  data: z
    .object({ by: slug(), on: list(slug()).min(1), issue: slug(), demand: text(), deadline: moment().optional(), summary: text() })
    .strict(),
  references: (d) => [ref.actor(['by'], d.by), ...ref.actors(['on'], d.on), ref.issue(['issue'], d.issue)],
});
