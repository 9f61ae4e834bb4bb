// The events API: POST /events, POST /events/batch, GET /events, GET /events/:id.
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query as QueryParams, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AuthedRequest } from '../auth/auth.guard.js';
import { EVENT_TYPES, formatPath, parseEnvelope, type Envelope, type FieldError } from '../catalogue/catalogue.js';
import { SLUG } from '../catalogue/primitives.js';
import { Answer, answerRef, EventIdParam, EventTypeQuery, IntegerQuery, ReadAccess, SlugQuery, WriteAccess } from '../http/api-docs.js';
import { InvalidInput, parseOrThrow } from '../http/problems.js';
import { Projector } from '../projections/projector/projector.service.js';
import { AppendEvents, type FieldOf } from './append-events.command.js';
import { represent } from './event-representation.js';
import { GetEvent, GetEvents } from './read-events.query.js';
import { exportLines, NDJSON_CONTENT_TYPE } from './export-events.js';
import { NDJSON_TYPES, prefersOver } from './media-type.js';

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
  @WriteAccess('editor', { status: 409, description: 'The same id was stored with a different body, or the log has moved past `expectedVersion` (see `currentPosition`); nothing was appended' })
  @ApiOperation({ summary: 'Append one development (201; 200 when the same id and body were already stored)' })
  @ApiBody({ schema: { $ref: getSchemaPath('EventEnvelope') } })
  @Answer(201, 'StoredEvent', 'Appended: the stored event')
  @Answer(200, 'StoredEvent', 'Stored already with the same id and body: the stored event; nothing was appended')
  async append(@Body() body: unknown, @Req() request: AuthedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const envelope = parseOne(body);
    const result = await this.commands.execute(new AppendEvents([envelope], request.apiKey!.name, envelope.expectedVersion));
    if (result.created) this.projector.poke();
    reply.status(result.created ? 201 : 200);
    return represent(result.events[0]);
  }

  @Post('batch')
  @WriteAccess('editor', { status: 409, description: 'An id was stored with a different body, or the log has moved past `expectedVersion` (see `currentPosition`); nothing was appended' })
  @ApiOperation({ summary: 'Append several developments, all or nothing' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['events'],
      additionalProperties: false,
      properties: { events: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: getSchemaPath('EventEnvelope') } }, expectedVersion: { type: 'integer', minimum: 0 } },
    },
  })
  @Answer(201, 'Appended', 'Appended: the stored events, in order')
  @Answer(200, 'Appended', 'Every event was stored already with the same id and body: the stored events; nothing was appended')
  async batch(@Body() body: unknown, @Req() request: AuthedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { envelopes, expectedVersion } = parseBatch(body);
    const result = await this.commands.execute(new AppendEvents(envelopes, request.apiKey!.name, expectedVersion, inBatch));
    if (result.created) this.projector.poke();
    reply.status(result.created ? 201 : 200);
    return { events: result.events.map((e) => represent(e)) };
  }

  @Get()
  @ApiOperation({ summary: 'A page of the log in position order; pass `next` as `after` for the following page' })
  @IntegerQuery('after', 'Only events after this log position (`next` of the previous page)', { minimum: 0, default: 0 })
  @IntegerQuery('limit', 'At most this many events (fewer when they are large); not with the NDJSON export', { minimum: 1, maximum: 1000, default: 100 })
  @EventTypeQuery('Only events of this type')
  @SlugQuery('actor', 'Only events concerning this actor')
  @ReadAccess()
  @Answer(200, 'EventsPage', 'A page of stored events in position order; with Accept: application/x-ndjson, the export: every event after `after` that the filters select, one stored event a line, up to the head of the log when it began', {
    also: { 'application/x-ndjson': { schema: answerRef('StoredEvent') } },
  })
  async list(@QueryParams() query: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const p = parseOrThrow(pageParams, query);
    reply.header('vary', 'accept'); // the same URL answers a page or the NDJSON export
    if (!prefersOver(reply.request.headers.accept, NDJSON_TYPES)) {
      const { events, next } = await this.queries.execute(new GetEvents(p.after, p.limit, p.type, p.actor));
      return { events, next };
    }
    // The export: every event after `after` that the filters select, no page limit, streamed
    // by Nest from the generator (see export-events.ts).
    if ((query as Record<string, unknown> | undefined)?.limit !== undefined) throw new InvalidInput([{ path: 'limit', message: 'the NDJSON export has no pages; leave limit out (after, type and actor filter it)' }]);
    reply.header('content-type', NDJSON_CONTENT_TYPE);
    reply.header('cache-control', 'no-store');
    reply.header('x-accel-buffering', 'no'); // a proxy passes it on as it comes rather than buffering it whole
    return exportLines(this.queries, { after: p.after, type: p.type, actor: p.actor }, reply.raw);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One stored event with its current confidence and whether it is retracted' })
  @EventIdParam()
  @ReadAccess(404)
  @Answer(200, 'StoredEvent', 'The stored event')
  @HttpCode(200)
  one(@Param('id') id: string) {
    return this.queries.execute(new GetEvent(id));
  }
}
