// Writes need a bearer key (admin-only routes need an admin); reads need one only with READ_ACCESS=key.
// GET /stream also takes a short-lived stream token (`?token=`, stream-token.ts) in place of the key.
import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { CONFIG, type Config } from '../config/config.js';
import { Problem } from '../http/problems.js';
import { ApiKeys, type ApiKey, type Role } from './api-keys.js';
import { StreamTokens } from './stream-token.js';

export const REQUIRED_ROLE = 'standpoint:role';
/** Marks a route as needing this role (editor may append; admin may also rebuild and register). */
export const Requires = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

export const PUBLIC = 'standpoint:public';
/** Marks a read as open whatever READ_ACCESS says (health: it holds nothing of the record). */
export const Public = () => SetMetadata(PUBLIC, true);

export const READS = 'standpoint:reads';
/** Marks a POST that reads (POST /stream/token): reader access, like a GET, not an editor's. */
export const Reads = () => SetMetadata(READS, true);

export const STREAM_TOKEN = 'standpoint:stream-token';
/** Marks the one read that takes `?token=` (a stream token) in place of the key: GET /stream. */
export const AcceptsStreamToken = () => SetMetadata(STREAM_TOKEN, true);

export type AuthedRequest = FastifyRequest & { apiKey?: ApiKey };

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeys) private readonly keys: ApiKeys,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(StreamTokens) private readonly tokens: StreamTokens,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const marked = <T>(key: string) => this.reflector.getAllAndOverride<T | undefined>(key, [context.getHandler(), context.getClass()]);
    const required = marked<Role>(REQUIRED_ROLE);
    const isWrite = !['GET', 'HEAD', 'OPTIONS'].includes(request.method) && !marked<boolean>(READS);
    const open = !isWrite && (this.config.READ_ACCESS === 'open' || marked<boolean>(PUBLIC));
    const needed: Role | 'reader' | undefined = required ?? (isWrite ? 'editor' : open ? undefined : 'reader');
    if (!needed) return true;
    if (needed === 'reader' && marked<boolean>(STREAM_TOKEN)) {
      // A token, when one is sent, decides alone (a bad one is refused, not passed over for the header).
      const token = (request.query as Record<string, unknown> | undefined)?.token;
      if (token !== undefined) {
        request.apiKey = this.tokens.verify(token);
        return true;
      }
    }
    request.apiKey = authenticate(this.keys, request.headers.authorization, needed);
    return true;
  }
}

/** The key a request's Authorization header carries, if it is valid and enough for `needed`; else 401/403. */
export function authenticate(keys: ApiKeys, authorization: string | undefined, needed: Role | 'reader'): ApiKey {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) throw new Problem(401, 'Unauthorized', 'Send an API key as "Authorization: Bearer <key>".');
  const key = keys.find(match[1]);
  if (!key) throw new Problem(401, 'Unauthorized', 'The API key is not valid.');
  if (needed === 'admin' && key.role !== 'admin') throw new Problem(403, 'Forbidden', `This needs an admin key; "${key.name}" is an ${key.role}.`);
  return key;
}
