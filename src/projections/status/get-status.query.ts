import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { View } from '../evidence.js';
import { ReadModels } from '../read-models.js';
import type { StatusView } from './status.fold.js';

export class GetStatus extends Query<StatusView & { position: number }> {
  constructor(readonly view: View) {
    super();
  }
}

@QueryHandler(GetStatus)
export class GetStatusHandler implements IQueryHandler<GetStatus> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  async execute({ view }: GetStatus) {
    const [position, status] = await Promise.all([this.read.checkpoint('status'), this.read.status(view)]);
    return { position, ...status };
  }
}
