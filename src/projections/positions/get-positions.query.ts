import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { View } from '../evidence.js';
import { ReadModels } from '../read-models.js';
import type { ActorPosition } from './positions.view.js';
import type { StanceChange } from './stance-history.js';

/** Answers the JSON text of GET /positions (see ReadModels.positionsJson). */
export class GetPositions extends Query<string> {
  constructor(readonly view: View, readonly echo: Record<string, string>, readonly limit?: number) {
    super();
  }
}

export class GetActorPosition extends Query<ActorPosition> {
  constructor(readonly actor: string, readonly view: View, readonly limit?: number) {
    super();
  }
}

@QueryHandler(GetPositions)
export class GetPositionsHandler implements IQueryHandler<GetPositions> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  execute({ view, echo, limit }: GetPositions) {
    return this.read.positionsJson(view, echo, limit);
  }
}

@QueryHandler(GetActorPosition)
export class GetActorPositionHandler implements IQueryHandler<GetActorPosition> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  execute({ actor, view, limit }: GetActorPosition) {
    return this.read.position(actor, view, limit);
  }
}

export class GetStanceHistory extends Query<{ actor: string; issue: string; changes: StanceChange[] }> {
  constructor(readonly actor: string, readonly issue: string, readonly view: View) {
    super();
  }
}

@QueryHandler(GetStanceHistory)
export class GetStanceHistoryHandler implements IQueryHandler<GetStanceHistory> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  async execute({ actor, issue, view }: GetStanceHistory) {
    return { actor, issue, changes: await this.read.history(actor, issue, view) };
  }
}
