// The current answers, served ahead of the framework (owns: which GET answers are kept as sent,
// for how long, and serving a plain request for one straight from Node's request listener).
// The answers for "now" of GET /positions and /positions/:actor are the same bytes for every
// plain request until the read models move (positions.reader.ts memoises them), yet each went
// through Fastify's hooks and Nest's router, guards and filter: about half of what a request
// cost against bare node:http sending the same bytes (bench/README.md). A route opts in with
// @RouteConfig(CURRENT); the first plain request after the projections move goes the long way,
// and what it was answered — status line, every header, the body, after compression and ETag —
// is kept for FRESH_MS and sent as it is to the plain requests that follow.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, onSendHookHandler } from 'fastify';

/** The route config that lets a route's answers be kept (see `CurrentAnswers.keepFrom`). */
export const CURRENT = { current: true } as const;

/**
 * How long a kept answer is served: as long as the readers may serve an answer from one look at
 * the projections' state (projection-states.ts, STALENESS_MS). A kept answer is thus at most
 * twice that behind the read models, plus the time the request renewing it takes (`renewing`).
 */
const FRESH_MS = 5;
/** How long the kept answer still serves while one request renews it (the long way's worst). */
const RENEWAL_MS = 50;
/** One per route and actor for each Accept the clients send: a handful, kept in bounds all the same. */
const KEPT_AT_MOST = 100;

/**
 * The request headers an answer may be kept and served for, with a browser's fetch metadata
 * (sec-*). Any other header (a key, an origin, a conditional, a range) sends the request the
 * long way, where it is looked at. The proxy's forwarding headers are here: nothing a kept
 * answer says depends on who asked (reads need no key when answers are kept; a rate limit's
 * count is each request's own, `Counting`).
 */
const PLAIN = new Set([
  'host', 'connection', 'accept', 'accept-encoding', 'accept-language', 'user-agent', 'cache-control', 'pragma', 'referer', 'dnt',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip',
]);

interface Kept {
  /** Name, value, name, value…: what writeHead takes without building an object per request. */
  headers: string[];
  body: Buffer;
  /** The route as Fastify matched it, for the metrics (/positions/:actor, not the URL). */
  route: string;
  until: number;
  /** When a request was let through the long way to make the next answer (see `serve`). */
  renewing?: number;
}

export type ObserveRequest = (method: string, route: string, status: number, elapsedMs: number) => void;

/** Per-client counting (a rate limit) the requests answered here take part in: rate-limit.ts. */
export interface Counting {
  /** The headers it sets, which a kept answer does not keep: each request gets its own. */
  headers: readonly string[];
  /** Counts the request: its headers, or undefined to send it the long way (over the limit). */
  count: (request: IncomingMessage) => string[] | undefined;
}

export class CurrentAnswers {
  private readonly kept = new Map<string, Kept>();
  private observe?: ObserveRequest;
  private open = true;

  private readonly freshMs: number;
  private readonly counting?: Counting;

  /**
   * @param enabled off when a read needs a key or when requests are logged one by one: those
   * are per-request work the long way does.
   * @param options.freshMs how long an answer is kept (a test's own, longer than a busy machine's pauses)
   * @param options.counting the rate limit's count, when there is one
   */
  constructor(
    private readonly enabled: boolean,
    options: { freshMs?: number; counting?: Counting } = {},
  ) {
    this.freshMs = options.freshMs ?? FRESH_MS;
    this.counting = options.counting;
  }

  /** Where a request served here is counted (the metrics' own observer, as the long way's hook). */
  observeWith(observe: ObserveRequest): void {
    this.observe = observe;
  }

  /** Answers a plain GET from a kept answer and says so; false sends it on to Fastify. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'GET' || !this.open || this.kept.size === 0) return false;
    const key = keyOf(request.url, request.headers);
    const kept = key === undefined ? undefined : this.kept.get(key);
    if (!kept) return false;
    const start = performance.now();
    if (start > kept.until && this.renewing(kept, start)) return false;
    let headers = kept.headers;
    if (this.counting) {
      const counted = this.counting.count(request);
      if (!counted) return false;
      headers = headers.concat(counted);
    }
    response.writeHead(200, headers).end(kept.body);
    this.observe?.('GET', kept.route, 200, performance.now() - start);
    return true;
  }

  /**
   * Whether this request is the one to go the long way for a kept answer past its time. One
   * request renews it; the others are answered the kept one meanwhile (at 20 000 requests a
   * second, every one arriving while the long way looked at the projections' state went that
   * way too, and the long way costs ten times the short one). Should the renewal not come back as a kept answer (the route
   * answered an error), another request goes the long way RENEWAL_MS later.
   */
  private renewing(kept: Kept, now: number): boolean {
    if (kept.renewing !== undefined && now - kept.renewing < RENEWAL_MS) return false;
    kept.renewing = now;
    return true;
  }

  /**
   * Keeps what the routes that opted in answer a plain request, as it leaves: an onSend hook
   * added after every other one (compression, ETag), so what is kept is what was sent.
   */
  keepFrom(fastify: FastifyInstance): void {
    if (!this.enabled) return;
    const keep: onSendHookHandler = (request, reply, payload, done) => {
      // Compressed by now if the client asked (compression makes a Buffer of a Buffer, with its
      // Content-Encoding and Vary): kept so, for the clients asking for the same encoding.
      if (reply.statusCode === 200 && request.method === 'GET' && (Buffer.isBuffer(payload) || typeof payload === 'string')) {
        const key = keyOf(request.url, request.headers);
        if (key !== undefined) this.keep(key, request.routeOptions.url ?? request.url, reply.getHeaders(), Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
      }
      done(null, payload);
    };
    // On the routes that opted in, after their own onSend hooks (compression attaches itself to
    // each route, and a route's hooks run after the global ones, the ETag's among them).
    fastify.addHook('onRoute', (route) => {
      if ((route.config as { current?: boolean } | undefined)?.current !== true) return;
      route.onSend = [...(Array.isArray(route.onSend) ? route.onSend : route.onSend ? [route.onSend] : []), keep];
    });
    fastify.addHook('onClose', (_instance, done) => {
      this.open = false;
      this.kept.clear();
      done();
    });
  }

  private keep(key: string, route: string, sent: Record<string, unknown>, body: Buffer): void {
    const headers: string[] = [];
    for (const [name, value] of Object.entries(sent)) {
      if (name === 'content-length' || value === undefined || this.counting?.headers.includes(name)) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.push(name, String(v));
    }
    headers.push('content-length', String(body.length));
    if (this.kept.size >= KEPT_AT_MOST && !this.kept.has(key)) this.kept.clear();
    this.kept.set(key, { headers, body, route, until: performance.now() + this.freshMs });
  }
}

/**
 * What a kept answer is kept under: the URL and the two headers the answer is negotiated on;
 * undefined for a request that is not plain. Only URLs without a query: "now" with the default
 * lists, what most readers ask for and the readers memoise.
 */
function keyOf(url: string | undefined, headers: IncomingHttpHeaders): string | undefined {
  if (url === undefined || url.includes('?')) return undefined;
  for (const name in headers) if (!PLAIN.has(name) && !name.startsWith('sec-')) return undefined;
  return `${url}\n${headers.accept ?? ''}\n${headers['accept-encoding'] ?? ''}`;
}
