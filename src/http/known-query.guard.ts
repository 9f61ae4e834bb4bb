// Refuses query parameters a route does not take (`?asof=` for `?asOf=` would otherwise answer
// as if nothing had been asked). What a route takes is what its @ApiQuery decorators document,
// so the OpenAPI document and the check cannot drift apart.
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InvalidInput } from './problems.js';

/** Where @nestjs/swagger keeps a handler's @ApiQuery/@ApiParam (DECORATORS.API_PARAMETERS, not exported by the package). */
const API_PARAMETERS = 'swagger/apiParameters';

@Injectable()
export class KnownQueryGuard implements CanActivate {
  private readonly known = new WeakMap<object, ReadonlySet<string>>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const query = context.switchToHttp().getRequest<FastifyRequest>().query as Record<string, unknown> | undefined;
    if (!query) return true;
    let unknown: string[] | undefined;
    for (const name in query) {
      if (!this.taken(context.getHandler()).has(name)) (unknown ??= []).push(name);
    }
    if (unknown) {
      const taken = [...this.taken(context.getHandler())];
      const hint = taken.length ? `this route takes ${taken.join(', ')}` : 'this route takes no query parameters';
      throw new InvalidInput(unknown.map((name) => ({ path: name, message: `unknown query parameter; ${hint}` })));
    }
    return true;
  }

  private taken(handler: object): ReadonlySet<string> {
    let names = this.known.get(handler);
    if (!names) {
      const parameters = (Reflect.getMetadata(API_PARAMETERS, handler) ?? []) as { in?: string; name?: string }[];
      names = new Set(parameters.filter((p) => p.in === 'query' && p.name).map((p) => p.name!));
      this.known.set(handler, names);
    }
    return names;
  }
}
