// GET /agreements and GET /agreements/:id: each agreement as it stood in a view — its postings
// laid over each other, its ratifications, and the ceasefire in effect under it.
import { Controller, Get, Inject, Param, Query as QueryParams } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, IdParam, ReadAccess } from '../../http/api-docs.js';
import { AgreementsReader } from './agreements.reader.js';
import { ViewQuery } from '../view-query.decorator.js';
import { parseView, type ViewParams } from '../view-params.js';

@ApiTags('agreements')
@Controller('agreements')
export class AgreementsController {
  constructor(@Inject(AgreementsReader) private readonly read: AgreementsReader) {}

  @Get()
  @ApiOperation({ summary: 'Every agreement: parties, mediators, guarantors, terms, phases, status, ratifications, the ceasefire under it, and its versions' })
  @ViewQuery()
  @ReadAccess()
  @Answer(200, 'Agreements', 'Every agreement on record in this view, in the order they were first posted')
  async all(@QueryParams() query: ViewParams) {
    const { view, echo } = parseView(query);
    return { ...echo, ...(await this.read.agreements(view)) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One agreement (404 when not on record in this view)' })
  @IdParam('id', 'The agreementId', 'israel-lebanon-cessation-2024')
  @ViewQuery()
  @ReadAccess(404)
  @Answer(200, 'Agreement', 'The agreement as it stood in this view')
  one(@Param('id') id: string, @QueryParams() query: ViewParams) {
    return this.read.agreement(id, parseView(query).view);
  }
}
