import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { View } from '../evidence.js';
import { ReadModels } from '../read-models.js';
import type { ActorPosition } from './positions.view.js';

export class GetPositions extends Query<{ position: number; actors: ActorPosition[] }> {
  constructor(readonly view: View) {
    super();
  }
}

export class GetActorPosition extends Query<ActorPosition> {
  constructor(readonly actor: string, readonly view: View) {
    super();
  }
}

@QueryHandler(GetPositions)
export class GetPositionsHandler implements IQueryHandler<GetPositions> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  async execute({ view }: GetPositions) {
    const [position, actors] = await Promise.all([this.read.checkpoint('positions', 'proposals'), this.read.positions(view)]);
    return { position, actors };
  }
}

@QueryHandler(GetActorPosition)
export class GetActorPositionHandler implements IQueryHandler<GetActorPosition> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  execute({ actor, view }: GetActorPosition) {
    return this.read.position(actor, view);
  }
}
