// GET/POST /actors and /issues: the registries; registering needs an admin key.
import { Body, Controller, Get, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Requires, type AuthedRequest } from '../auth/auth.guard.js';
import { slug, text } from '../catalogue/primitives.js';
import { Answer, ReadAccess, WriteAccess } from '../http/api-docs.js';
import { parseOrThrow } from '../http/problems.js';
import { RegistryService } from './registry.service.js';

export const newActor = z.object({ slug: slug(), name: text(200), role: z.enum(['party', 'mediator']) }).strict();
export const newIssue = z.object({ slug: slug(), name: text(200), description: text(2000).optional() }).strict();

@ApiTags('registries')
@Controller()
export class RegistryController {
  constructor(@Inject(RegistryService) private readonly registry: RegistryService) {}

  @Get('actors')
  @ApiOperation({ summary: 'Registered actors: built-in and added' })
  @ReadAccess()
  @Answer(200, 'Actors', 'Every registered actor')
  async actors() {
    return { actors: await this.registry.actors() };
  }

  @Get('issues')
  @ApiOperation({ summary: 'Registered issues: built-in and added' })
  @ReadAccess()
  @Answer(200, 'Issues', 'Every registered issue')
  async issues() {
    return { issues: await this.registry.issues() };
  }

  @Post('actors')
  @Requires('admin')
  @WriteAccess('admin', { status: 409, description: 'An actor with this slug is registered already' })
  @ApiOperation({ summary: 'Register an actor (admin)' })
  @ApiBody({ schema: z.toJSONSchema(newActor, { io: 'input', target: 'openapi-3.0' }) as object })
  @Answer(201, 'Actor', 'The actor, registered')
  registerActor(@Body() body: unknown, @Req() request: AuthedRequest) {
    return this.registry.registerActor(parseOrThrow(newActor, body), request.apiKey!.name);
  }

  @Post('issues')
  @Requires('admin')
  @WriteAccess('admin', { status: 409, description: 'An issue with this slug is registered already' })
  @ApiOperation({ summary: 'Register an issue (admin)' })
  @ApiBody({ schema: z.toJSONSchema(newIssue, { io: 'input', target: 'openapi-3.0' }) as object })
  @Answer(201, 'Issue', 'The issue, registered')
  registerIssue(@Body() body: unknown, @Req() request: AuthedRequest) {
    return this.registry.registerIssue(parseOrThrow(newIssue, body), request.apiKey!.name);
  }
}
