import { Controller, Get, Inject, Param, Query as QueryParams, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ViewQuery } from '../view-query.decorator.js';
import { parseLimit, parseView, type ViewParams } from '../view-params.js';
import { DEFAULT_LIST_LIMIT } from './positions.view.js';
import { InvalidInput } from '../../http/problems.js';
import { SLUG } from '../../catalogue/primitives.js';
import { GetActorPosition, GetPositions, GetStanceHistory } from './get-positions.query.js';

const LimitQuery = () =>
  ApiQuery({ name: 'limit', required: false, description: `How many of the latest proposals, meetings, pressure entries and evidence ids each list holds (default ${DEFAULT_LIST_LIMIT}); totals gives the full counts.` });

@ApiTags('positions')
@Controller('positions')
export class PositionsController {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: "Every actor's position: stances per issue, proposals, meetings, pressure" })
  @ViewQuery()
  @LimitQuery()
  async all(@QueryParams() query: ViewParams & { limit?: string }, @Res({ passthrough: true }) reply: FastifyReply) {
    const { view, echo } = parseView(query);
    const json = await this.queries.execute(new GetPositions(view, echo as Record<string, string>, parseLimit(query.limit, DEFAULT_LIST_LIMIT)));
    return asJson(reply, json);
  }

  @Get(':actor')
  @ApiOperation({ summary: "One actor's position (404 for an unknown actor)" })
  @ApiParam({ name: 'actor', example: 'hamas' })
  @ViewQuery()
  @LimitQuery()
  async one(@Param('actor') actor: string, @QueryParams() query: ViewParams & { limit?: string }, @Res({ passthrough: true }) reply: FastifyReply) {
    const json = await this.queries.execute(new GetActorPosition(actor, parseView(query).view, parseLimit(query.limit, DEFAULT_LIST_LIMIT)));
    return asJson(reply, json);
  }

  @Get(':actor/history')
  @ApiOperation({ summary: 'How one stance cell changed over time: each claim with its event, sources and confidence' })
  @ApiParam({ name: 'actor', example: 'hamas' })
  @ApiQuery({ name: 'issue', required: true, example: 'permanent-ceasefire' })
  @ViewQuery()
  history(@Param('actor') actor: string, @QueryParams() query: ViewParams & { issue?: string }) {
    if (!query.issue || !SLUG.test(query.issue)) throw new InvalidInput([{ path: 'issue', message: 'the issue slug is required, e.g. ?issue=permanent-ceasefire' }]);
    return this.queries.execute(new GetStanceHistory(actor, query.issue, parseView(query).view));
  }
}

/** The read models answer positions already serialised (memoised for "now"): sent as they are. */
function asJson(reply: FastifyReply, json: Buffer): Buffer {
  reply.header('content-type', 'application/json; charset=utf-8');
  return json;
}
