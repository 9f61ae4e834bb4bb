import { Controller, Get, Inject, Query as QueryParams } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, MomentQuery, ReadAccess, SlugQuery } from '../../http/api-docs.js';
import { isCalendarDay, startOf } from '../../catalogue/primitives.js';
import { ViewQuery } from '../view-query.decorator.js';
import { parseInstantParam, parseView, type ViewParams } from '../view-params.js';
import { TimelineReader } from './timeline.reader.js';

interface TimelineParams extends ViewParams {
  actor?: string;
  issue?: string;
  from?: string;
  to?: string;
}

@ApiTags('timeline')
@Controller('timeline')
export class TimelineController {
  constructor(@Inject(TimelineReader) private readonly read: TimelineReader) {}

  @Get()
  @ApiOperation({ summary: 'Events ordered by when they occurred' })
  @SlugQuery('actor', 'Only events concerning this actor')
  @SlugQuery('issue', 'Only events concerning this issue')
  @MomentQuery('from', 'Occurred on or after (a bare date: from its start)')
  @MomentQuery('to', 'Occurred on or before (a bare date: to its end)')
  @ViewQuery()
  @ReadAccess()
  @Answer(200, 'Timeline', 'The events in this view, ordered by when they occurred (an uncertain date by its end)')
  async all(@QueryParams() query: TimelineParams) {
    const { view, echo } = parseView(query);
    parseInstantParam('from', query.from);
    const to = parseInstantParam('to', query.to);
    const from = query.from ? (isCalendarDay(query.from) ? startOf(query.from) : Date.parse(query.from)) : undefined;
    const filter = { actor: query.actor || undefined, issue: query.issue || undefined, from, to };
    return { ...echo, ...(await this.read.timeline(view, filter)) };
  }
}
