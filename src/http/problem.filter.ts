// Every error leaves as application/problem+json (RFC 9457), with field paths where known and
// never a stack trace; 5xx details are logged, not sent.
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ALREADY_RETRACTED } from '../database/migrations/1764000000003-integrity.js';
import { IdempotencyConflict, WrongExpectedVersion } from '../event-store/event-store.js';
import { AlreadyRegistered } from '../registry/registry.service.js';
import { Problem } from './problems.js';

const TITLES: Record<number, string> = {
  400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed', 409: 'Conflict',
  413: 'Payload too large', 415: 'Unsupported media type', 429: 'Too many requests', 500: 'Internal server error', 503: 'Service unavailable',
};

/** Fastify's own errors (bad JSON, body limit, media type, prototype poisoning) carry these. */
const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Send the body as application/json.',
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than the configured limit (BODY_LIMIT).',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The JSON body is empty.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body.',
  FST_ERR_BAD_URL: 'The URL is malformed (a bad percent-encoding).',
};

export interface ProblemDescription {
  status: number;
  title: string;
  detail: string;
  extra: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Sends a problem as application/problem+json; `url` names the resource (its query left out). */
export function sendProblem(reply: FastifyReply, url: string | undefined, { status, title, detail, extra, headers }: ProblemDescription): FastifyReply {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  const instance = url?.split('?')[0] ?? '';
  return reply.status(status).header('content-type', 'application/problem+json; charset=utf-8').send({ type: 'about:blank', title, status, detail, instance, ...extra });
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const problem = describe(error);
    // A Problem is an answer given on purpose (a stream cap, a full disk): only the unexpected is logged as an error.
    if (problem.status >= 500 && !(error instanceof Problem)) this.logger.error(`${request.method} ${request.url?.split('?')[0]}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendProblem(reply, request.url, problem);
  }
}

export function describe(error: unknown): ProblemDescription {
  if (error instanceof Problem) return { status: error.status, title: error.title, detail: error.message, extra: error.extra, headers: {} };
  const conflict = conflictOf(error);
  if (conflict) return { status: 409, title: TITLES[409], detail: (error as Error).message, extra: conflict, headers: {} };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message = typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? error.message);
    return { status, title: TITLES[status] ?? 'Error', detail: Array.isArray(message) ? message.join('; ') : String(message), extra: {}, headers: {} };
  }
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const detail = (e.code && FASTIFY_DETAILS[e.code]) ?? (e.code?.startsWith('FST_ERR_CTP') || e.code === undefined ? `The body is not valid JSON: ${e.message}` : (e.message ?? 'Bad request'));
    return { status: e.statusCode, title: TITLES[e.statusCode] ?? 'Bad request', detail, extra: {}, headers: {} };
  }
  if (isDatabaseFull(error)) {
    return { status: 503, title: TITLES[503], detail: 'The database has no room to store this now (disk or memory full); nothing was stored. Try again later.', extra: {}, headers: { 'retry-after': '30' } };
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 503, title: TITLES[503], detail: 'The database is not reachable; try again shortly.', extra: {}, headers: { 'retry-after': '2' } };
  }
  return { status: 500, title: TITLES[500], detail: 'An unexpected error occurred; it has been logged.', extra: {}, headers: {} };
}

/** The store's and the registries' refusals (409), with what a client needs to retry; undefined for any other error. */
function conflictOf(error: unknown): Record<string, unknown> | undefined {
  if (error instanceof WrongExpectedVersion) return { expectedVersion: error.expected, currentPosition: error.current };
  if (error instanceof IdempotencyConflict) return { ids: error.ids };
  if (error instanceof AlreadyRegistered) return {};
  // Two retractions of one event racing each other: PostgreSQL lets the first through.
  if ((error as { code?: string } | undefined)?.code === ALREADY_RETRACTED) return {};
  return undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (!e) return false;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004'].includes(e.code ?? '')) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connect ECONNREFUSED/i.test(e.message ?? '');
}

/** SQLSTATE class 53, insufficient resources: disk full (53100), out of memory, too many connections. */
export function isDatabaseFull(error: unknown): boolean {
  return /^53/.test((error as { code?: string } | undefined)?.code ?? '');
}
