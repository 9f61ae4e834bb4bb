import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { View } from '../evidence.js';
import { ReadModels } from '../read-models.js';
import type { StanceChange } from './stance-history.js';

/** Answers GET /positions as JSON bytes (see ReadModels.positionsJson). */
export class GetPositions extends Query<Buffer> {
  constructor(readonly view: View, readonly echo: Record<string, string>, readonly limit?: number, readonly withTotals = false) {
    super();
  }
}

/** Answers GET /positions/:actor as JSON bytes (see ReadModels.positionJson). */
export class GetActorPosition extends Query<Buffer> {
  constructor(readonly actor: string, readonly view: View, readonly limit?: number, readonly withTotals = false) {
    super();
  }
}

@QueryHandler(GetPositions)
export class GetPositionsHandler implements IQueryHandler<GetPositions> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  execute({ view, echo, limit, withTotals }: GetPositions) {
    return this.read.positionsJson(view, echo, limit, withTotals);
  }
}

@QueryHandler(GetActorPosition)
export class GetActorPositionHandler implements IQueryHandler<GetActorPosition> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  execute({ actor, view, limit, withTotals }: GetActorPosition) {
    return this.read.positionJson(actor, view, limit, withTotals);
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
