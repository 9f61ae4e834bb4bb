// Reading the status projection (owns: GET /status answers, and the ceasefire in a view for the
// agreements it stands under).
import { Inject, Injectable } from '@nestjs/common';
import type { View } from '../evidence.js';
import { READ_DOC_STORE, ProjectionStates } from '../projection-states.js';
import type { DocStore } from '../projector/doc-store.js';
import { viewCeasefire, viewStatus, type StatusDoc, type StatusView } from './status.fold.js';

@Injectable()
export class StatusReader {
  constructor(
    @Inject(READ_DOC_STORE) private readonly docs: DocStore,
    @Inject(ProjectionStates) private readonly states: ProjectionStates,
  ) {}

  async status(view: View): Promise<StatusView & { position: number }> {
    const [position, rows] = await Promise.all([this.states.checkpoint('status'), this.docs.activeInView<StatusDoc>('status', view)]);
    return { position, ...viewStatus(rows.map((r) => r.doc), view) };
  }

  async ceasefire(view: View): Promise<ReturnType<typeof viewCeasefire>> {
    return viewCeasefire((await this.docs.activeInView<StatusDoc>('status', view)).map((r) => r.doc), view);
  }
}
