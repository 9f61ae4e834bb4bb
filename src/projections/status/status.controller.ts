import { Controller, Get, Inject, Query as QueryParams } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, ReadAccess } from '../../http/api-docs.js';
import { ViewQuery } from '../view-query.decorator.js';
import { parseView, type ViewParams } from '../view-params.js';
import { StatusReader } from './status.reader.js';

@ApiTags('status')
@Controller('status')
export class StatusController {
  constructor(@Inject(StatusReader) private readonly read: StatusReader) {}

  @Get()
  @ApiOperation({ summary: 'Whether a ceasefire is in effect (and since when); detainees released per actor' })
  @ViewQuery()
  @ReadAccess()
  @Answer(200, 'Status', 'The ceasefire and the releases in this view')
  async get(@QueryParams() query: ViewParams) {
    const { view, echo } = parseView(query);
    return { ...echo, ...(await this.read.status(view)) };
  }
}
