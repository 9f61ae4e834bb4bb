// The events API: POST /events, POST /events/batch, GET /events, GET /events/:id.
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query as QueryParams, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AuthedRequest } from '../auth/auth.guard.js';
import { EVENT_TYPES, formatPath, parseEnvelope, type Envelope, type FieldError } from '../catalogue/catalogue.js';
import { SLUG } from '../catalogue/primitives.js';
import { InvalidInput, parseOrThrow } from '../http/problems.js';
import { Projector } from '../projections/projector/projector.service.js';
import { AppendEvents, type FieldOf } from './append-events.command.js';
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

/** A field of a batch's event `i` as the request names it: `events[1].data.actor`. */
const inBatch: FieldOf = (i, path) => formatPath(path, `events[${i}]`);

/** POST /events: one envelope, whose own expectedVersion is the append's. */
function parseOne(body: unknown): Envelope {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInput([{ path: '(body)', message: 'must be a JSON object (one event envelope)' }]);
  const parsed = parseEnvelope(body);
  if (!parsed.ok) throw new InvalidInput(parsed.errors);
  return parsed.envelope;
}

/** POST /events/batch: every envelope valid, and expectedVersion set on the batch only. */
function parseBatch(body: unknown): { envelopes: Envelope[]; expectedVersion?: number } {
  const { events, expectedVersion } = parseOrThrow(batchEnvelope, body);
  const errors: FieldError[] = [];
  const envelopes = events.flatMap((input, i) => {
    const parsed = parseEnvelope(input, inBatch(i, []));
    if (!parsed.ok) {
      errors.push(...parsed.errors);
      return [];
    }
    if (parsed.envelope.expectedVersion !== undefined) errors.push({ path: inBatch(i, ['expectedVersion']), message: 'set expectedVersion on the batch, not on its events' });
    return [parsed.envelope];
  });
  if (errors.length) throw new InvalidInput(errors);
  return { envelopes, expectedVersion };
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
    const envelope = parseOne(body);
    const result = await this.commands.execute(new AppendEvents([envelope], request.apiKey!.name, envelope.expectedVersion));
    if (result.created) this.projector.poke();
    reply.status(result.created ? 201 : 200);
    return represent(result.events[0]);
  }

  @Post('batch')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Append several developments, all or nothing' })
  @ApiBody({ schema: { type: 'object', required: ['events'], properties: { events: { type: 'array', items: { $ref: getSchemaPath('EventEnvelope') } }, expectedVersion: { type: 'integer', minimum: 0 } } } })
  async batch(@Body() body: unknown, @Req() request: AuthedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { envelopes, expectedVersion } = parseBatch(body);
    const result = await this.commands.execute(new AppendEvents(envelopes, request.apiKey!.name, expectedVersion, inBatch));
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
