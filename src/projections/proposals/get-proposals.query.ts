import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { View } from '../evidence.js';
import { ReadModels } from '../read-models.js';
import type { ProposalView } from './proposals.view.js';

export class GetProposals extends Query<{ position: number; proposals: ProposalView[] }> {
  constructor(readonly view: View) {
    super();
  }
}

export class GetProposal extends Query<ProposalView> {
  constructor(readonly proposalId: string, readonly view: View) {
    super();
  }
}

@QueryHandler(GetProposals)
export class GetProposalsHandler implements IQueryHandler<GetProposals> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  async execute({ view }: GetProposals) {
    const [position, proposals] = await Promise.all([this.read.checkpoint('proposals'), this.read.proposals(view)]);
    return { position, proposals };
  }
}

@QueryHandler(GetProposal)
export class GetProposalHandler implements IQueryHandler<GetProposal> {
  constructor(@Inject(ReadModels) private readonly read: ReadModels) {}

  execute({ proposalId, view }: GetProposal) {
    return this.read.proposal(proposalId, view);
  }
}
