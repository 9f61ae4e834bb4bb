// Requests per client per minute (RATE_LIMIT_PER_MINUTE; 0 turns it off), on @fastify/rate-limit:
// checked as a request arrives (onRequest), before its body is read, answered 429 problem+json
// with Retry-After. The client is its address, or behind a proxy the address the proxy names in
// X-Forwarded-For when TRUST_PROXY says which proxies to believe. The count is each server's
// own: behind nginx each client sticks to one server (docker/nginx: hash $remote_addr), so the
// limit holds per client without a database round trip per request — until that server goes
// away and its clients move to another, which starts their count afresh.
import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Config } from '../config/config.js';
import { Problem } from './problems.js';

export async function limitRequests(app: NestFastifyApplication, config: Config): Promise<void> {
  if (config.RATE_LIMIT_PER_MINUTE === 0) return;
  await app.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    // RateLimit-Limit / -Remaining / -Reset, as the IETF draft names them.
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      new Problem(429, 'Too many requests', `More than ${context.max} requests in a minute from this client; try again in ${Math.ceil(context.ttl / 1000)} s.`),
  });
}

/** TRUST_PROXY as Fastify's trustProxy: off, every proxy, a hop count, or the proxies' addresses/CIDRs. */
export function trustProxy(value: string): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === 'false' || value === '') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
