// Reading the proposals projection (owns: GET /proposals answers, and the status in a view of the
// proposals an actor's position links to). One document per proposal, read by id or in the view.
import { Inject, Injectable } from '@nestjs/common';
import { NotFound } from '../../http/problems.js';
import type { View } from '../evidence.js';
import { READ_DOC_STORE, ProjectionStates, activeGeneration, type States } from '../projection-states.js';
import type { DocStore } from '../projector/doc-store.js';
import type { ProposalDoc } from './proposals.fold.js';
import { viewProposal, type ProposalView } from './proposals.view.js';

@Injectable()
export class ProposalsReader {
  constructor(
    @Inject(READ_DOC_STORE) private readonly docs: DocStore,
    @Inject(ProjectionStates) private readonly states: ProjectionStates,
  ) {}

  async proposals(view: View): Promise<{ position: number; proposals: ProposalView[] }> {
    const [position, rows] = await Promise.all([this.states.checkpoint('proposals'), this.docs.activeInView<ProposalDoc>('proposals', view)]);
    const proposals = rows
      .map((r) => viewProposal(r.doc, view))
      .filter((p): p is ProposalView => p !== null)
      .sort((a, b) => a.proposedAt.localeCompare(b.proposedAt) || a.proposalId.localeCompare(b.proposalId));
    return { position, proposals };
  }

  async proposal(id: string, view: View): Promise<ProposalView> {
    const states = await this.states.current();
    const doc = (await this.docs.load<ProposalDoc>('proposals', activeGeneration(states, 'proposals'), [id])).get(id);
    const proposal = viewProposal(doc, view);
    if (!proposal) throw new NotFound(`no proposal "${id}" is on record${doc ? ' in this view' : ''}`);
    return proposal;
  }

  /** The status in the view of each proposal named; null for one not on record in it. */
  async statuses(states: States, ids: string[], view: View): Promise<Map<string, string | null>> {
    const docs = await this.docs.load<ProposalDoc>('proposals', activeGeneration(states, 'proposals'), ids);
    return new Map(ids.map((id) => [id, viewProposal(docs.get(id), view)?.status ?? null]));
  }
}
