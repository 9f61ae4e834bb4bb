import { Controller, Get, Inject, Query as QueryParams } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { isCalendarDay, startOf } from '../../catalogue/primitives.js';
import { ViewQuery } from '../view-query.decorator.js';
import { parseInstantParam, parseView, type ViewParams } from '../view-params.js';
import { GetTimeline } from './get-timeline.query.js';

interface TimelineParams extends ViewParams {
  actor?: string;
  issue?: string;
  from?: string;
  to?: string;
}

@ApiTags('timeline')
@Controller('timeline')
export class TimelineController {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'Events ordered by when they occurred' })
  @ApiQuery({ name: 'actor', required: false })
  @ApiQuery({ name: 'issue', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'Occurred on or after (a bare date: from its start)' })
  @ApiQuery({ name: 'to', required: false, description: 'Occurred on or before (a bare date: to its end)' })
  @ViewQuery()
  async all(@QueryParams() query: TimelineParams) {
    const { view, echo } = parseView(query);
    parseInstantParam('from', query.from);
    const to = parseInstantParam('to', query.to);
    const from = query.from ? (isCalendarDay(query.from) ? startOf(query.from) : Date.parse(query.from)) : undefined;
    const filter = { actor: query.actor || undefined, issue: query.issue || undefined, from, to };
    return { ...echo, ...(await this.queries.execute(new GetTimeline(view, filter))) };
  }
}
