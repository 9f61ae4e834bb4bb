import { Controller, Get, Inject, Param, Query as QueryParams, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RouteConfig } from '@nestjs/platform-fastify';
import { CURRENT } from '../../http/current-answers.js';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, FlagQuery, IntegerQuery, ReadAccess, SlugParam, SlugQuery } from '../../http/api-docs.js';
import { ViewQuery } from '../view-query.decorator.js';
import { parseFlag, parseLimit, parseView, type ViewParams } from '../view-params.js';
import { DEFAULT_LIST_LIMIT } from './positions.view.js';
import { InvalidInput } from '../../http/problems.js';
import { SLUG } from '../../catalogue/primitives.js';
import { PositionsReader } from './positions.reader.js';
import { CSV_TYPES, prefersOver } from '../../events/media-type.js';
import { CSV_CONTENT_TYPE, positionsCsv } from './positions-csv.js';
import type { ActorPosition } from './positions.view.js';

const LimitQuery = () =>
  IntegerQuery('limit', `How many of the latest proposals, meetings, pressure entries and evidence ids each list holds (default ${DEFAULT_LIST_LIMIT}); totals=true gives the full counts.`, { minimum: 1, maximum: 10_000, default: DEFAULT_LIST_LIMIT });
const TotalsQuery = () => FlagQuery('totals', 'Also count every list in full (`totals`): this reads the whole view, where the answer otherwise reads only what it shows');

type PositionsParams = ViewParams & { limit?: string; totals?: string };

@ApiTags('positions')
@Controller('positions')
export class PositionsController {
  constructor(@Inject(PositionsReader) private readonly read: PositionsReader) {}

  @Get()
  @RouteConfig(CURRENT)
  @ApiOperation({ summary: "Every actor's position: stances per issue, proposals, meetings, pressure" })
  @ViewQuery()
  @LimitQuery()
  @TotalsQuery()
  @ReadAccess()
  @Answer(200, 'Positions', "Every registered actor's position in this view", {
    also: { 'text/csv': { schema: { type: 'string', description: 'With Accept: text/csv: one row per actor and issue (actor, issue, stance, since, confidence, evidenceCount, summary)' } } },
  })
  async all(@QueryParams() query: PositionsParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const { view, echo } = parseView(query);
    const json = await this.read.positionsJson(view, echo as Record<string, string>, parseLimit(query.limit, DEFAULT_LIST_LIMIT), parseFlag(query.totals, 'totals'));
    reply.header('vary', 'accept'); // the same URL answers JSON or CSV
    if (!prefersOver(reply.request.headers.accept, CSV_TYPES)) return asJson(reply, json);
    // One row per actor × issue cell, from the same answer the JSON is.
    reply.header('content-type', CSV_CONTENT_TYPE);
    return positionsCsv((JSON.parse(json.toString('utf8')) as { actors: ActorPosition[] }).actors);
  }

  @Get(':actor')
  @RouteConfig(CURRENT)
  @ApiOperation({ summary: "One actor's position (404 for an unknown actor)" })
  @SlugParam('actor', 'The actor slug', 'hamas')
  @ViewQuery()
  @LimitQuery()
  @TotalsQuery()
  @ReadAccess({ status: 404, description: 'No such actor is registered' })
  @Answer(200, 'ActorPosition', "The actor's position in this view")
  async one(@Param('actor') actor: string, @QueryParams() query: PositionsParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const json = await this.read.positionJson(actor, parseView(query).view, parseLimit(query.limit, DEFAULT_LIST_LIMIT), parseFlag(query.totals, 'totals'));
    return asJson(reply, json);
  }

  @Get(':actor/history')
  @ApiOperation({ summary: 'How one stance cell changed over time: each claim with its event, sources and confidence' })
  @SlugParam('actor', 'The actor slug', 'hamas')
  @SlugQuery('issue', 'The issue whose stance cell to show', true)
  @ViewQuery()
  @ReadAccess({ status: 404, description: 'No such actor is registered' })
  @Answer(200, 'StanceHistory', 'Every claim on the cell in this view, in occurrence order, retracted ones kept and marked')
  history(@Param('actor') actor: string, @QueryParams() query: ViewParams & { issue?: string }) {
    if (!query.issue || !SLUG.test(query.issue)) throw new InvalidInput([{ path: 'issue', message: 'the issue slug is required, e.g. ?issue=permanent-ceasefire' }]);
    return this.read.history(actor, query.issue, parseView(query).view);
  }
}

/** The read models answer positions already serialised (memoised for "now"): sent as they are. */
function asJson(reply: FastifyReply, json: Buffer): Buffer {
  reply.header('content-type', 'application/json; charset=utf-8');
  return json;
}
