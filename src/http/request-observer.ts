// What every answered request leaves behind (owns: the request log line and the per-request
// metrics). One Fastify onResponse hook, after the answer has gone: the route pattern Fastify
// matched (/positions/:actor, never the URL with its ids), the status, the time Fastify
// measured, and the name of the API key the auth guard accepted (never the key). No I/O but the
// optional log line, and no per-request work beyond this hook.
import type { ConsoleLogger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { AuthedRequest } from '../auth/auth.guard.js';
import type { Config } from '../config/config.js';
import { LONG_LIVED_ROUTES, UNMATCHED, type Metrics } from '../metrics/metrics.service.js';

export interface RequestEntry {
  method: string;
  route: string;
  status: number;
  /** Milliseconds from the request's arrival to the answer's end, to 0.1 ms. */
  ms: number;
  /** The name of the API key the request was authenticated with; null when none was needed or sent. */
  key: string | null;
}

/** Writes one line per request through the server's logger (context `request`, level `log`). */
export type RequestLog = (entry: RequestEntry) => void;

export function requestLog(logger: ConsoleLogger, format: Config['LOG_FORMAT']): RequestLog {
  if (format === 'json') {
    // One object a line: the fields beside the message (the logger flattens them), for queries.
    return (entry) => logger.log(textOf(entry), { ...entry }, 'request');
  }
  return (entry) => logger.log(textOf(entry), 'request');
}

function textOf({ method, route, status, ms, key }: RequestEntry): string {
  return `${method} ${route} ${status} ${ms} ms${key ? ` key=${key}` : ''}`;
}

export function observeRequests(fastify: FastifyInstance, metrics: Metrics, log?: RequestLog): void {
  const entry = (request: FastifyRequest, reply: FastifyReply): RequestEntry => ({
    method: request.method,
    route: request.routeOptions.url ?? UNMATCHED,
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    key: (request as AuthedRequest).apiKey?.name ?? null,
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observe(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime);
    if (log) log(entry(request, reply));
    done();
  });
  // Fastify runs onResponse when an answer is finished; a stream (a hijacked reply) is not, it
  // is closed: by the client going away, or by the server cutting off a client too far behind.
  // Its line is written then, with how long the client stayed. Only these routes carry the
  // extra listener.
  if (!log) return;
  fastify.addHook('onRoute', (route) => {
    if (!LONG_LIVED_ROUTES.has(route.url)) return;
    const untilClosed: onRequestHookHandler = (request, reply, done) => {
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) log(entry(request, reply));
      });
      done();
    };
    route.onRequest = [...(Array.isArray(route.onRequest) ? route.onRequest : route.onRequest ? [route.onRequest] : []), untilClosed];
  });
}
