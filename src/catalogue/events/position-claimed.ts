import { z } from 'zod';
import { defineEvent, ref } from '../define-event.js';
import { list, slug, speaker, stanceOnIssue, text } from '../primitives.js';

export const PositionClaimed = defineEvent({
  type: 'PositionClaimed',
  description:
    "One actor says where another stands (\"the US envoy says Hamas is ready to disarm\"). It never sets the subject's own stance: it is listed in the subject's `claims`, under each claimant.",
  data: z
    .object({
      claimant: slug(),
      about: list(slug(), 20).min(1),
      speaker: speaker.optional(),
      stances: list(stanceOnIssue, 20).min(1),
      summary: text(),
      quote: text().optional(),
    })
    .strict(),
  references: (d) => [ref.actor(['claimant'], d.claimant), ...ref.actors(['about'], d.about), ...d.stances.map((s, i) => ref.issue(['stances', i, 'issue'], s.issue))],
});
