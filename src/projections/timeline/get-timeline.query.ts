import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { View } from '../evidence.js';
import { ReadModels } from '../read-models.js';
import type { TimelineEntry, TimelineFilter } from './timeline.view.js';

export class GetTimeline extends Query<{ position: number; events: TimelineEntry[] }> {
  constructor(readonly view: View, readonly filter: TimelineFilter) {
    super();
  }
}

@QueryHandler(GetTimeline)
export class GetTimelineHandler implements IQueryHandler<GetTimeline> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  async execute({ view, filter }: GetTimeline) {
    const [position, events] = await Promise.all([this.read.checkpoint('timeline'), this.read.timeline(view, filter)]);
    return { position, events };
  }
}
