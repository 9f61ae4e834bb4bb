import { Controller, Get, Inject, Param, Query as QueryParams } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ViewQuery } from '../view-query.decorator.js';
import { parseView, type ViewParams } from '../view-params.js';
import { GetProposal, GetProposals } from './get-proposals.query.js';

@ApiTags('proposals')
@Controller('proposals')
export class ProposalsController {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'Every proposal with terms, proposer, mediators, status and responses' })
  @ViewQuery()
  async all(@QueryParams() query: ViewParams) {
    const { view, echo } = parseView(query);
    return { ...echo, ...(await this.queries.execute(new GetProposals(view))) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One proposal (404 when not on record in this view)' })
  @ViewQuery()
  one(@Param('id') id: string, @QueryParams() query: ViewParams) {
    return this.queries.execute(new GetProposal(id, parseView(query).view));
  }
}
