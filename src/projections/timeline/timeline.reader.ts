// Reading the timeline projection (owns: GET /timeline answers, filtered in SQL by actor, issue
// and occurrence, cut to the view by each entry's own clocks).
import { Inject, Injectable } from '@nestjs/common';
import type { View } from '../evidence.js';
import { READ_DOC_STORE, ProjectionStates } from '../projection-states.js';
import type { DocStore } from '../projector/doc-store.js';
import type { TimelineDoc } from './timeline.fold.js';
import { viewTimelineEntry, type TimelineEntry, type TimelineFilter } from './timeline.view.js';

@Injectable()
export class TimelineReader {
  constructor(
    @Inject(READ_DOC_STORE) private readonly docs: DocStore,
    @Inject(ProjectionStates) private readonly states: ProjectionStates,
  ) {}

  async timeline(view: View, filter: TimelineFilter): Promise<{ position: number; events: TimelineEntry[] }> {
    const conditions: string[] = ['d.sort_key IS NOT NULL']; // entries only, not what the fold remembers of proposals
    const params: unknown[] = [];
    if (filter.actor) conditions.push(`d.doc->'actors' ? $${params.push(filter.actor)}`);
    if (filter.issue) conditions.push(`d.doc->'issues' ? $${params.push(filter.issue)}`);
    if (filter.from !== undefined) conditions.push(`d.occurred >= $${params.push(Math.floor(filter.from))}`);
    if (filter.to !== undefined) conditions.push(`d.occurred <= $${params.push(Math.floor(filter.to))}`);
    const [position, rows] = await Promise.all([
      this.states.checkpoint('timeline'),
      this.docs.activeInView<TimelineDoc>('timeline', view, { extraWhere: conditions.join(' AND '), extraParams: params }),
    ]);
    return { position, events: rows.map((r) => viewTimelineEntry(r.doc, view, filter)).filter((e): e is TimelineEntry => e !== null) };
  }
}
