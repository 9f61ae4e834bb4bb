// Reading the projections (owns: turning active documents into the contract's answers for a view).
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFound } from '../http/problems.js';
import { RegistryService, type Actor } from '../registry/registry.service.js';
import { byOccurrence, inView as stampInView, type View } from './evidence.js';
import { DocCache } from './doc-cache.js';
import { actorOfKey, type ActorEntry } from './positions/positions.fold.js';
import { DEFAULT_LIST_LIMIT, viewActor, type ActorPosition } from './positions/positions.view.js';
import { stanceHistory, type StanceChange } from './positions/stance-history.js';
import { DocStore } from './projector/doc-store.js';
import type { ProposalDoc } from './proposals/proposals.fold.js';
import { viewProposal, type ProposalView } from './proposals/proposals.view.js';
import { viewStatus, type StatusDoc, type StatusView } from './status/status.fold.js';
import type { TimelineDoc } from './timeline/timeline.fold.js';
import { viewTimelineEntry, type TimelineEntry, type TimelineFilter } from './timeline/timeline.view.js';

@Injectable()
export class ReadModels {
  private readonly docs: DocStore;
  private readonly entries: DocCache<ActorEntry>;
  private readonly proposalDocs: DocCache<ProposalDoc>;
  private readonly nowMemo = new Map<string, { version: string; value: ActorPosition[] }>();
  /** The serialised form of a memoised "now" answer, for as long as that answer is kept. */
  private readonly nowJson = new WeakMap<ActorPosition[], string>();

  constructor(
    @Inject(DataSource) db: DataSource,
    @Inject(RegistryService) private readonly registry: RegistryService,
  ) {
    this.docs = new DocStore(db);
    this.entries = new DocCache<ActorEntry>(this.docs, 'positions', (key) => (key.startsWith('~') ? undefined : actorOfKey(key)), byOccurrence);
    this.proposalDocs = new DocCache<ProposalDoc>(this.docs, 'proposals', () => '', (a, b) => (a.proposalId < b.proposalId ? -1 : 1));
  }

  /** The log position the answers reflect. */
  checkpoint(...projections: string[]): Promise<number> {
    return this.docs.activeCheckpoint(projections);
  }

  async positions(view: View, only?: Actor, limit = DEFAULT_LIST_LIMIT): Promise<ActorPosition[]> {
    const actors = only ? [only] : await this.registry.actors();
    if (Number.isFinite(view.asOf) || Number.isFinite(view.knownAt)) return this.computePositions(view, actors, limit);
    // "Now" is what most readers ask for: computed once per version of the read models.
    await Promise.all([this.entries.ready(), this.proposalDocs.ready()]);
    const key = `${actors.map((a) => `${a.slug}:${a.name}:${a.role}`).join(',')}|${limit}`;
    const version = `${this.entries.version}|${this.proposalDocs.version}`;
    const memo = this.nowMemo.get(key);
    if (memo?.version === version) return memo.value;
    const value = await this.computePositions(view, actors, limit);
    if (this.nowMemo.size > 100) this.nowMemo.clear();
    this.nowMemo.set(key, { version, value });
    return value;
  }

  /**
   * GET /positions as JSON text. The answer for "now" is serialised once per version of the
   * read models: at a few hundred KB, serialising dominated the cost of a request.
   */
  async positionsJson(view: View, echo: Record<string, string>, limit = DEFAULT_LIST_LIMIT): Promise<string> {
    const actors = await this.positions(view, undefined, limit);
    const position = Math.min(this.entries.position, this.proposalDocs.position);
    if (Object.keys(echo).length) return JSON.stringify({ ...echo, position, actors });
    let json = this.nowJson.get(actors);
    if (json === undefined) this.nowJson.set(actors, (json = JSON.stringify({ position, actors })));
    return json;
  }

  private async computePositions(view: View, actors: Actor[], limit: number): Promise<ActorPosition[]> {
    const byActor = new Map<string, readonly ActorEntry[]>();
    for (const a of actors) byActor.set(a.slug, inView(await this.entries.group(a.slug), view));
    await this.proposalDocs.ready();
    const status = (id: string) => viewProposal(this.proposalDocs.peek('', id), view)?.status ?? null;
    const roles = new Map((await this.registry.actors()).map((a) => [a.slug, a.role as string]));
    return actors.map((a) => viewActor(a, byActor.get(a.slug) ?? [], view, roles, status, limit));
  }

  async position(slug: string, view: View, limit = DEFAULT_LIST_LIMIT): Promise<ActorPosition> {
    const actor = await this.registry.actor(slug);
    if (!actor) throw new NotFound(`no actor "${slug}" is registered`);
    return (await this.positions(view, actor, limit))[0];
  }

  async history(slug: string, issue: string, view: View): Promise<StanceChange[]> {
    const actor = await this.registry.actor(slug);
    if (!actor) throw new NotFound(`no actor "${slug}" is registered`);
    return stanceHistory(inView(await this.entries.group(slug), view), issue, view);
  }

  async proposals(view: View): Promise<ProposalView[]> {
    return (await this.proposalDocs.group(''))
      .map((doc) => viewProposal(doc, view))
      .filter((p): p is ProposalView => p !== null)
      .sort((a, b) => a.proposedAt.localeCompare(b.proposedAt) || a.proposalId.localeCompare(b.proposalId));
  }

  async proposal(id: string, view: View): Promise<ProposalView> {
    await this.proposalDocs.ready();
    const doc = this.proposalDocs.peek('', id);
    const proposal = viewProposal(doc, view);
    if (!proposal) throw new NotFound(`no proposal "${id}" is on record${doc ? ' in this view' : ''}`);
    return proposal;
  }

  async timeline(view: View, filter: TimelineFilter): Promise<TimelineEntry[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filter.actor) conditions.push(`d.doc->'actors' ? $${params.push(filter.actor)}`);
    if (filter.issue) conditions.push(`d.doc->'issues' ? $${params.push(filter.issue)}`);
    if (filter.from !== undefined) conditions.push(`d.occurred >= $${params.push(Math.floor(filter.from))}`);
    if (filter.to !== undefined) conditions.push(`d.occurred <= $${params.push(Math.floor(filter.to))}`);
    const rows = await this.docs.activeInView<TimelineDoc>('timeline', view, conditions.length ? { extraWhere: conditions.join(' AND '), extraParams: params } : {});
    return rows.map((r) => viewTimelineEntry(r.doc, view, filter)).filter((e): e is TimelineEntry => e !== null);
  }

  async status(view: View): Promise<StatusView> {
    const rows = await this.docs.activeInView<StatusDoc>('status', view);
    return viewStatus(rows.map((r) => r.doc), view);
  }
}

/** Only entries whose event is in the view can count; the views check retractions themselves. */
function inView(entries: readonly ActorEntry[], view: View): readonly ActorEntry[] {
  if (!Number.isFinite(view.asOf) && !Number.isFinite(view.knownAt)) return entries;
  return entries.filter((e) => stampInView(e.ev.stamp, view));
}
