// POST /admin/projections/rebuild (admin) and GET /admin/projections: replaying the log into fresh
// read models while readers keep the current ones, and watching it happen.
import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Requires } from '../../auth/auth.guard.js';
import { AdminReadAccess, Answer, WriteAccess } from '../../http/api-docs.js';
import { EventStore } from '../../event-store/event-store.js';
import { DocStore } from '../projector/doc-store.js';
import { Projector } from '../projector/projector.service.js';

@ApiTags('admin')
@Controller('admin/projections')
export class AdminController {
  constructor(
    @Inject(Projector) private readonly projector: Projector,
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(DocStore) private readonly docs: DocStore,
  ) {}

  @Post('rebuild')
  @HttpCode(202)
  @Requires('admin')
  @WriteAccess('admin')
  @ApiOperation({ summary: 'Replay the whole log into fresh projections; readers switch over when they have caught up (202)' })
  @Answer(202, 'Rebuild', 'The rebuild has begun: the generation each projection is being rebuilt into')
  async rebuild() {
    return { status: 'rebuilding', projections: await this.projector.requestRebuild() };
  }

  @Get()
  @Requires('admin')
  @AdminReadAccess()
  @Answer(200, 'ProjectionStates', 'Each projection, how far it has got, and the quarantined events')
  @ApiOperation({ summary: "Each projection's fold version, the generation readers use, how far each has got, and the events set aside as impossible to fold (admin)" })
  async states() {
    const [states, head, quarantined] = await Promise.all([this.docs.states(), this.store.fencedHeadPosition(), this.docs.quarantined()]);
    return {
      head,
      projections: [...states.values()].map((s) => ({ ...s, rebuilding: s.generation !== s.activeGeneration })),
      quarantined,
    };
  }
}
