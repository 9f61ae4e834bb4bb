// The events API: POST /events, POST /events/batch, GET /events, GET /events/:id.
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query as QueryParams, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AuthedRequest } from '../auth/auth.guard.js';
import { EVENT_TYPES, formatPath } from '../catalogue/catalogue.js';
import { SLUG } from '../catalogue/primitives.js';
import { InvalidInput } from '../http/problems.js';
import { Projector } from '../projections/projector/projector.service.js';
import { AppendEvents } from './append-events.command.js';
import { represent } from './event-representation.js';
import { GetEvent, GetEvents } from './read-events.query.js';

const pageParams = z
  .object({
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    type: z.enum(EVENT_TYPES as [string, ...string[]]).optional(),
    actor: z.string().regex(SLUG).optional(),
  })
  .strict();

const batchEnvelope = z.object({ events: z.array(z.unknown()).min(1, 'a batch needs at least one event').max(1000, 'a batch holds at most 1000 events'), expectedVersion: z.number().int().min(0).optional() }).strict();

function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidInput(result.error.issues.map((i) => ({ path: formatPath(i.code === 'unrecognized_keys' && i.keys.length === 1 ? [...i.path, i.keys[0]] : i.path, prefix) || '(body)', message: i.message })));
}

@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
    @Inject(Projector) private readonly projector: Projector,
  ) {}

  @Post()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Append one development (201; 200 when the same id and body were already stored)' })
  @ApiBody({ schema: { $ref: getSchemaPath('EventEnvelope') } })
  async append(@Body() body: unknown, @Req() request: AuthedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInput([{ path: '(body)', message: 'must be a JSON object (one event envelope)' }]);
    const expectedVersion = (body as { expectedVersion?: unknown }).expectedVersion;
    const result = await this.commands.execute(new AppendEvents([body], request.apiKey!.name, typeof expectedVersion === 'number' ? expectedVersion : undefined, ''));
    if (result.created) this.projector.poke();
    reply.status(result.created ? 201 : 200);
    return represent(result.events[0]);
  }

  @Post('batch')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Append several developments, all or nothing' })
  @ApiBody({ schema: { type: 'object', required: ['events'], properties: { events: { type: 'array', items: { $ref: getSchemaPath('EventEnvelope') } }, expectedVersion: { type: 'integer', minimum: 0 } } } })
  async batch(@Body() body: unknown, @Req() request: AuthedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { events, expectedVersion } = parseOrThrow(batchEnvelope, body);
    const result = await this.commands.execute(new AppendEvents(events, request.apiKey!.name, expectedVersion, 'events'));
    if (result.created) this.projector.poke();
    reply.status(result.created ? 201 : 200);
    return { events: result.events.map((e) => represent(e)) };
  }

  @Get()
  @ApiOperation({ summary: 'A page of the log in position order; pass `next` as `after` for the following page' })
  @ApiQuery({ name: 'after', required: false, type: Number })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'type', required: false, enum: EVENT_TYPES })
  @ApiQuery({ name: 'actor', required: false })
  list(@QueryParams() query: unknown) {
    const p = parseOrThrow(pageParams, query);
    return this.queries.execute(new GetEvents(p.after, p.limit, p.type, p.actor));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One stored event with its current confidence and whether it is retracted' })
  @HttpCode(200)
  one(@Param('id') id: string) {
    return this.queries.execute(new GetEvent(id));
  }
}
