// Reading the agreements projection (owns: GET /agreements answers, with the ceasefire in effect
// under each, and the status in a view of the agreements an actor's position links to).
import { Inject, Injectable } from '@nestjs/common';
import { NotFound } from '../../http/problems.js';
import type { View } from '../evidence.js';
import { READ_DOC_STORE, ProjectionStates, activeGeneration, type States } from '../projection-states.js';
import type { DocStore } from '../projector/doc-store.js';
import { StatusReader } from '../status/status.reader.js';
import type { AgreementDoc } from './agreements.fold.js';
import { viewAgreement, type AgreementView } from './agreements.view.js';

/** What an agreement's status needs of the ceasefire: nothing (its ceasefire fields are not read). */
const NO_CEASEFIRE = { inEffect: false, since: null, violations: [] };

@Injectable()
export class AgreementsReader {
  constructor(
    @Inject(READ_DOC_STORE) private readonly docs: DocStore,
    @Inject(ProjectionStates) private readonly states: ProjectionStates,
    @Inject(StatusReader) private readonly status: StatusReader,
  ) {}

  async agreements(view: View): Promise<{ position: number; agreements: AgreementView[] }> {
    const [position, rows, ceasefire] = await Promise.all([this.states.checkpoint('agreements'), this.docs.activeInView<AgreementDoc>('agreements', view), this.status.ceasefire(view)]);
    const agreements = rows
      .map((r) => viewAgreement(r.doc, view, ceasefire))
      .filter((a): a is AgreementView => a !== null)
      .sort((a, b) => byFirstPosting(a, b));
    return { position, agreements };
  }

  async agreement(id: string, view: View): Promise<AgreementView> {
    const states = await this.states.current();
    const [docs, ceasefire] = await Promise.all([this.docs.load<AgreementDoc>('agreements', activeGeneration(states, 'agreements'), [id]), this.status.ceasefire(view)]);
    const doc = docs.get(id);
    const agreement = viewAgreement(doc, view, ceasefire);
    if (!agreement) throw new NotFound(`no agreement "${id}" is on record${doc ? ' in this view' : ''}`);
    return agreement;
  }

  /** The status in the view of each agreement named; null for one not on record in it. */
  async statuses(states: States, ids: string[], view: View): Promise<Map<string, string | null>> {
    const docs = await this.docs.load<AgreementDoc>('agreements', activeGeneration(states, 'agreements'), ids);
    return new Map(ids.map((id) => [id, viewAgreement(docs.get(id), view, NO_CEASEFIRE)?.status ?? null]));
  }
}

/** Agreements in the order they were first posted (ties by id). */
function byFirstPosting(a: AgreementView, b: AgreementView): number {
  return a.versions[0].occurredAt.localeCompare(b.versions[0].occurredAt) || a.agreementId.localeCompare(b.agreementId);
}
