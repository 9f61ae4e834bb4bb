import { Controller, Get, Inject, Param, Query as QueryParams } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, IdParam, ReadAccess } from '../../http/api-docs.js';
import { ViewQuery } from '../view-query.decorator.js';
import { parseView, type ViewParams } from '../view-params.js';
import { ProposalsReader } from './proposals.reader.js';

@ApiTags('proposals')
@Controller('proposals')
export class ProposalsController {
  constructor(@Inject(ProposalsReader) private readonly read: ProposalsReader) {}

  @Get()
  @ApiOperation({ summary: 'Every proposal with terms, proposer, mediators, status and responses' })
  @ViewQuery()
  @ReadAccess()
  @Answer(200, 'Proposals', 'Every proposal on record in this view, in the order they were first made')
  async all(@QueryParams() query: ViewParams) {
    const { view, echo } = parseView(query);
    return { ...echo, ...(await this.read.proposals(view)) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One proposal (404 when not on record in this view)' })
  @IdParam('id', 'The proposalId', 'israel-draft-2023-12')
  @ViewQuery()
  @ReadAccess(404)
  @Answer(200, 'Proposal', 'The proposal as it stood in this view')
  one(@Param('id') id: string, @QueryParams() query: ViewParams) {
    return this.read.proposal(id, parseView(query).view);
  }
}
