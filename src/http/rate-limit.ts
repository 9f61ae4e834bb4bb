// Requests per client per minute (RATE_LIMIT_PER_MINUTE; 0 turns it off), on @fastify/rate-limit:
// checked as a request arrives (onRequest), before its body is read, answered 429 problem+json
// with Retry-After. The client is its address, or behind a proxy the address the proxy names in
// X-Forwarded-For when TRUST_PROXY says which proxies to believe. The count is each server's
// own: behind nginx each client sticks to one server (docker/nginx: hash $remote_addr), so the
// limit holds per client without a database round trip per request — until that server goes
// away and its clients move to another, which starts their count afresh. Requests answered ahead
// of Fastify (current-answers.ts) count in the same counts, through `countAhead`.
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import rateLimit, { normalizeIP, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Config } from '../config/config.js';
import { Problem } from './problems.js';

const WINDOW_MS = 60_000;
/** Clients counted at once; the least recently seen is forgotten past it (as the plugin's own store). */
const CLIENTS_KEPT = 5_000;
/** The headers a counted answer carries (the IETF draft's names), different for every request. */
export const RATE_HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'];

interface Count {
  current: number;
  /** When the client's window started, epoch ms. */
  start: number;
}

/**
 * Each client's requests in its current one-minute window, the plugin's store and the count
 * current answers take. A fixed window from a client's first request, as the plugin's local
 * store keeps it.
 */
export class ClientCounts {
  private readonly clients = new Map<string, Count>();

  constructor(readonly max: number) {}

  /** Counts one request of `client`: how many it has made in its window, and ms until the window ends. */
  count(client: string): { current: number; ttl: number } {
    const now = Date.now();
    let c = this.clients.get(client);
    if (c) this.clients.delete(client); // set again below: the Map's order is the recency
    if (!c || c.start + WINDOW_MS <= now) c = { current: 0, start: now };
    c.current++;
    this.clients.set(client, c);
    if (this.clients.size > CLIENTS_KEPT) this.clients.delete(this.clients.keys().next().value!);
    return { current: c.current, ttl: c.start + WINDOW_MS - now };
  }

  /** The plugin's store interface. */
  incr(client: string, done: (error: Error | null, result: { current: number; ttl: number }) => void): void {
    done(null, this.count(client));
  }

  child(): ClientCounts {
    return this;
  }
}

export async function limitRequests(app: NestFastifyApplication, counts: ClientCounts | undefined): Promise<void> {
  if (!counts) return;
  await app.register(rateLimit, {
    global: true,
    max: counts.max,
    timeWindow: WINDOW_MS,
    // One store for the plugin and the requests answered ahead of it: a class whose instance is it.
    store: function SharedCounts() {
      return counts;
    } as unknown as FastifyRateLimitStoreCtor,
    // RateLimit-Limit / -Remaining / -Reset, as the IETF draft names them.
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      new Problem(429, 'Too many requests', `More than ${context.max} requests in a minute from this client; try again in ${Math.ceil(context.ttl / 1000)} s.`),
  });
}

/** The counts, when RATE_LIMIT_PER_MINUTE asks for a limit. */
export function clientCounts(config: Config): ClientCounts | undefined {
  return config.RATE_LIMIT_PER_MINUTE === 0 ? undefined : new ClientCounts(config.RATE_LIMIT_PER_MINUTE);
}

/**
 * Counts a request answered ahead of Fastify as the plugin would: the client named the way
 * Fastify names it (request.ip under TRUST_PROXY), normalised the plugin's way. Gives the
 * headers to send, or undefined when the client is over the limit: that request goes on to
 * Fastify, where the plugin answers it 429.
 */
export function countAhead(counts: ClientCounts, trustProxySetting: string): (request: IncomingMessage) => string[] | undefined {
  const trust = trustProxy(trustProxySetting);
  const trusted = trust === false ? undefined : trust === true ? () => true : typeof trust === 'function' ? trust : proxyAddr.compile(trust);
  return (request) => {
    const address = trusted ? proxyAddr(request, trusted) : request.socket.remoteAddress;
    if (!address) return undefined;
    const { current, ttl } = counts.count(normalizeIP(address));
    if (current > counts.max) return undefined;
    return [RATE_HEADERS[0], String(counts.max), RATE_HEADERS[1], String(counts.max - current), RATE_HEADERS[2], String(Math.ceil(ttl / 1000))];
  };
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
