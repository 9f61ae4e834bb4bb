// Requests per client per minute (RATE_LIMIT_PER_MINUTE; 0 turns it off): a fixed one-minute
// window per client address, answered 429 with Retry-After. Our own few lines rather than
// @nestjs/throttler: that package is CommonJS requiring NestJS 12's ESM-only core, which Jest
// cannot load on Node 20 (see the closing note).
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONFIG, type Config } from '../config/config.js';
import { Problem } from './problems.js';

const WINDOW_MS = 60_000;

@Injectable()
export class RateLimitGuard implements CanActivate {
  private windows = new Map<string, { start: number; count: number }>();

  constructor(@Inject(CONFIG) private readonly config: Config) {}

  canActivate(context: ExecutionContext): boolean {
    const limit = this.config.RATE_LIMIT_PER_MINUTE;
    if (limit === 0) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const now = Date.now();
    const client = request.ip;
    let window = this.windows.get(client);
    if (!window || now - window.start >= WINDOW_MS) {
      if (this.windows.size > 100_000) this.windows = new Map(); // bound memory under a flood of addresses
      window = { start: now, count: 0 };
      this.windows.set(client, window);
    }
    window.count++;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    reply.header('ratelimit-limit', String(limit)).header('ratelimit-remaining', String(Math.max(0, limit - window.count)));
    if (window.count <= limit) return true;
    const retryAfter = Math.ceil((window.start + WINDOW_MS - now) / 1000);
    reply.header('retry-after', String(retryAfter));
    throw new Problem(429, 'Too many requests', `More than ${limit} requests in a minute from this client; try again in ${retryAfter} s.`);
  }
}
