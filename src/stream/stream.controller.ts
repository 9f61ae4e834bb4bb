// GET /stream: Server-Sent Events of every stored event (`appended`, id = log position) and every
// changed stance cell (`position`), filterable by actor, issue and type; resumable with
// Last-Event-ID. At most STREAM_MAX_CLIENTS at once per server: the next gets 503 with Retry-After.
// POST /stream/token: a short-lived token that opens GET /stream as `?token=` where a key cannot
// be sent (EventSource sends no headers): see auth/stream-token.ts.
import { Controller, Get, HttpCode, Inject, Post, Query as QueryParams, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AcceptsStreamToken, Reads, type AuthedRequest } from '../auth/auth.guard.js';
import { STREAM_TOKEN_TTL_S, StreamTokenAnswer, StreamTokens } from '../auth/stream-token.js';
import { EVENT_TYPES } from '../catalogue/catalogue.js';
import { SLUG } from '../catalogue/primitives.js';
import { EventTypeQuery, IntegerQuery, Problems, ReadAccess, SlugQuery } from '../http/api-docs.js';
import { InvalidInput, Problem } from '../http/problems.js';
import { StreamService } from './stream.service.js';

/** Seconds a refused stream is asked to wait: streams are long-lived, so a slot frees slowly. */
const RETRY_AFTER_S = 5;

@ApiTags('stream')
@Controller('stream')
export class StreamController {
  constructor(
    @Inject(StreamService) private readonly streams: StreamService,
    @Inject(StreamTokens) private readonly tokens: StreamTokens,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Live events (`appended`) and changed stance cells (`position`); reconnect with Last-Event-ID to resume without gaps; 503 with Retry-After past STREAM_MAX_CLIENTS' })
  @ApiProduces('text/event-stream')
  @SlugQuery('actor', 'Only events and stance cells concerning this actor')
  @SlugQuery('issue', 'Only events and stance cells concerning this issue')
  @EventTypeQuery('Only events of this type')
  @IntegerQuery('after', 'A log position to resume after (Last-Event-ID does the same)', { minimum: 0 })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id of the last event received: the stream resumes after it', schema: { type: 'integer', minimum: 0 } })
  @ApiQuery({
    name: 'token',
    required: false,
    description: 'Under READ_ACCESS=key, a stream token from POST /stream/token in place of the Authorization header (which EventSource cannot send); checked when the stream opens. Sent, it decides alone. Ignored under READ_ACCESS=open.',
    schema: { type: 'string', maxLength: 1024 },
  })
  @AcceptsStreamToken()
  @ReadAccess(
    { status: 401, description: 'Only under READ_ACCESS=key: no API key or stream token, not a valid one, or an expired token' },
    { status: 503, description: 'STREAM_MAX_CLIENTS streams are open already, or the database cannot be reached; try again after Retry-After' },
  )
  @ApiResponse({
    status: 200,
    description: 'Server-Sent Events: `appended` (data: a stored event, id: its position) and `position` (data: a changed stance cell), as they happen',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  stream(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @QueryParams() query: { actor?: string; issue?: string; type?: string; after?: string; token?: string }) {
    const errors = [];
    if (query.actor && !SLUG.test(query.actor)) errors.push({ path: 'actor', message: 'must be an actor slug' });
    if (query.issue && !SLUG.test(query.issue)) errors.push({ path: 'issue', message: 'must be an issue slug' });
    if (query.type && !EVENT_TYPES.includes(query.type as never)) errors.push({ path: 'type', message: `must be one of ${EVENT_TYPES.join(', ')}` });
    const resume = (request.headers['last-event-id'] as string | undefined) ?? query.after;
    if (resume !== undefined && !/^\d+$/.test(resume)) errors.push({ path: 'Last-Event-ID', message: 'must be a log position' });
    if (errors.length) throw new InvalidInput(errors);
    if (!this.streams.hasRoom()) {
      // ProblemFilter keeps the headers already on the reply and adds its own.
      reply.header('retry-after', String(RETRY_AFTER_S));
      throw new Problem(503, 'Service unavailable', `This server already serves ${this.streams.maxClients} streams (STREAM_MAX_CLIENTS); try again in ${RETRY_AFTER_S} s.`);
    }
    // After the hijack Fastify writes no headers: the stream writes these (CORS, rate limit, …)
    // itself, with the security headers. serve() admits the stream in this same tick.
    const headers = reply.getHeaders();
    reply.hijack();
    void this.streams.serve(reply.raw, resume === undefined ? undefined : Number(resume), { actor: query.actor, issue: query.issue, type: query.type }, headers);
  }

  @Post('token')
  @HttpCode(200)
  @Reads()
  @ApiOperation({
    summary: `A stream token: opens GET /stream as \`?token=\` for ${STREAM_TOKEN_TTL_S / 60} minutes, for clients that cannot send an Authorization header (EventSource); a read: any key under READ_ACCESS=key, none under open`,
  })
  @ApiSecurity({})
  @ApiBearerAuth()
  @Problems(400, { status: 401, description: 'Only under READ_ACCESS=key: no API key, or not a valid one' }, 429)
  @ApiResponse({
    status: 200,
    description: 'The token and when it expires; ask again for a new one (a stream already open is not cut when its token expires)',
    headers: { 'Cache-Control': { description: '`no-store`: a token is not to be kept by caches', schema: { type: 'string' } } },
    content: { 'application/json': { schema: z.toJSONSchema(StreamTokenAnswer, { target: 'openapi-3.0', io: 'output' }) as object } },
  })
  token(@Req() request: AuthedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('cache-control', 'no-store');
    return this.tokens.issue(request.apiKey);
  }
}
