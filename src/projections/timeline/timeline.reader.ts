// Reading the timeline (owns: GET /timeline answers). The events in the view come from the log in
// occurrence order — narrowed there by actor, issue and occurrence through the metadata every
// event is stored with (the catalogue's concerns, as the fold's) — and their entries are folded
// again from the log (derived-from-log.ts), then cut to the view as the specification cuts them.
import { Inject, Injectable } from '@nestjs/common';
import { CORRECTION_TYPES } from '../../catalogue/catalogue.js';
import { EventStore, READ_EVENT_STORE } from '../../event-store/event-store.js';
import type { View } from '../evidence.js';
import { ProjectionStates, reflected } from '../projection-states.js';
import { timelineProjection, type TimelineDoc } from './timeline.fold.js';
import { viewTimelineEntry, type TimelineEntry, type TimelineFilter } from './timeline.view.js';

/** Entries are folded again this many at a time: a whole history's timeline is read in slices. */
const SLICE = 5000;

@Injectable()
export class TimelineReader {
  constructor(
    @Inject(READ_EVENT_STORE) private readonly log: EventStore,
    @Inject(ProjectionStates) private readonly states: ProjectionStates,
  ) {}

  async timeline(view: View, filter: TimelineFilter): Promise<{ position: number; events: TimelineEntry[] }> {
    const upTo = reflected(await this.states.current(), ['timeline']);
    const metadata = { ...(filter.actor ? { actors: [filter.actor] } : {}), ...(filter.issue ? { issues: [filter.issue] } : {}) };
    const ids = await this.log.idsInOccurrenceOrder({
      upTo,
      asOf: view.asOf,
      knownAt: view.knownAt,
      excludeTypes: [...CORRECTION_TYPES],
      ...(filter.actor || filter.issue ? { metadataContains: metadata } : {}),
      from: filter.from,
      to: filter.to,
    });
    const events: TimelineEntry[] = [];
    for (let i = 0; i < ids.length; i += SLICE) {
      const slice = ids.slice(i, i + SLICE);
      const docs = await timelineProjection.derived!.fromLog(this.log, slice, upTo);
      for (const id of slice) {
        const doc = docs.get(id) as TimelineDoc | undefined;
        const entry = doc && viewTimelineEntry(doc, view, filter);
        if (entry) events.push(entry);
      }
    }
    return { position: upTo, events };
  }
}
