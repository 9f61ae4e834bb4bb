// GET/POST /actors and /issues: the registries; registering needs an admin key.
import { Body, Controller, Get, Inject, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Requires, type AuthedRequest } from '../auth/auth.guard.js';
import { formatPath } from '../catalogue/catalogue.js';
import { slug, text } from '../catalogue/primitives.js';
import { Conflict, InvalidInput } from '../http/problems.js';
import { AlreadyRegistered, RegistryService } from './registry.service.js';

export const newActor = z.object({ slug: slug(), name: text(200), role: z.enum(['party', 'mediator']) }).strict();
export const newIssue = z.object({ slug: slug(), name: text(200), description: text(2000).optional() }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  throw new InvalidInput(r.error.issues.map((i) => ({ path: formatPath(i.code === 'unrecognized_keys' && i.keys.length === 1 ? [...i.path, i.keys[0]] : i.path) || '(body)', message: i.message })));
}

async function registering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AlreadyRegistered) throw new Conflict(error.message);
    throw error;
  }
}

@ApiTags('registries')
@Controller()
export class RegistryController {
  constructor(@Inject(RegistryService) private readonly registry: RegistryService) {}

  @Get('actors')
  @ApiOperation({ summary: 'Registered actors: built-in and added' })
  async actors() {
    return { actors: await this.registry.actors() };
  }

  @Get('issues')
  @ApiOperation({ summary: 'Registered issues: built-in and added' })
  async issues() {
    return { issues: await this.registry.issues() };
  }

  @Post('actors')
  @Requires('admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Register an actor (admin)' })
  @ApiBody({ schema: z.toJSONSchema(newActor, { io: 'input' }) as object })
  registerActor(@Body() body: unknown, @Req() request: AuthedRequest) {
    const actor = parse(newActor, body);
    return registering(() => this.registry.registerActor(actor, request.apiKey!.name));
  }

  @Post('issues')
  @Requires('admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Register an issue (admin)' })
  @ApiBody({ schema: z.toJSONSchema(newIssue, { io: 'input' }) as object })
  registerIssue(@Body() body: unknown, @Req() request: AuthedRequest) {
    const issue = parse(newIssue, body);
    return registering(() => this.registry.registerIssue(issue, request.apiKey!.name));
  }
}
