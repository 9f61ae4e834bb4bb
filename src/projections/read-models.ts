// Reading the projections (owns: turning active documents into the contract's answers for a view).
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { READ_DB } from '../database/read-database.js';
import { NotFound } from '../http/problems.js';
import { RegistryService, type Actor } from '../registry/registry.service.js';
import { byOccurrence, NOW, inView as stampInView, type View } from './evidence.js';
import { ActiveStates, DocCache } from './doc-cache.js';
import { actorOfKey, type ActorEntry } from './positions/positions.fold.js';
import { DEFAULT_LIST_LIMIT, viewActor, type ActorPosition } from './positions/positions.view.js';
import { stanceHistory, type StanceChange } from './positions/stance-history.js';
import { DocStore } from './projector/doc-store.js';
import type { ProposalDoc } from './proposals/proposals.fold.js';
import { viewProposal, type ProposalView } from './proposals/proposals.view.js';
import { viewCeasefire, viewStatus, type StatusDoc, type StatusView } from './status/status.fold.js';
import type { AgreementDoc } from './agreements/agreements.fold.js';
import { viewAgreement, type AgreementView } from './agreements/agreements.view.js';
import type { TimelineDoc } from './timeline/timeline.fold.js';
import { viewTimelineEntry, type TimelineEntry, type TimelineFilter } from './timeline/timeline.view.js';

@Injectable()
export class ReadModels {
  private readonly docs: DocStore;
  private readonly entries: DocCache<ActorEntry>;
  private readonly proposalDocs: DocCache<ProposalDoc>;
  private readonly agreementDocs: DocCache<AgreementDoc>;
  /**
   * Answers for "now", what most readers ask for: computed once per version of the read models,
   * and serialised once too (at tens of KB, serialising dominated the cost of a request). Keyed
   * by route, actor and list limit.
   */
  private readonly now = new Map<string, NowAnswer>();

  constructor(
    @Inject(READ_DB) db: DataSource,
    @Inject(RegistryService) private readonly registry: RegistryService,
  ) {
    this.docs = new DocStore(db);
    const states = new ActiveStates(this.docs);
    this.entries = new DocCache<ActorEntry>(states, 'positions', (key) => (key.startsWith('~') ? undefined : actorOfKey(key)), byOccurrence);
    this.proposalDocs = new DocCache<ProposalDoc>(states, 'proposals', () => '', (a, b) => (a.proposalId < b.proposalId ? -1 : 1));
    this.agreementDocs = new DocCache<AgreementDoc>(states, 'agreements', () => '', (a, b) => (a.agreementId < b.agreementId ? -1 : 1));
  }

  /** The log position the answers reflect. */
  checkpoint(...projections: string[]): Promise<number> {
    return this.docs.activeCheckpoint(projections);
  }

  /** GET /positions as JSON bytes; `echo` is the asOf/knownAt the client sent, answered back. */
  async positionsJson(view: View, echo: Record<string, string>, limit = DEFAULT_LIST_LIMIT): Promise<Buffer> {
    const actors = await this.registry.actors();
    if (isNow(view)) {
      const answer = await this.nowAnswer('all', actors, limit);
      return (answer.json ??= Buffer.from(JSON.stringify({ position: answer.position, actors: answer.actors })));
    }
    const computed = await this.computePositions(view, actors, limit);
    return Buffer.from(JSON.stringify({ ...echo, position: this.cachedPosition(), actors: computed }));
  }

  async position(slug: string, view: View, limit = DEFAULT_LIST_LIMIT): Promise<ActorPosition> {
    const actor = await this.actor(slug);
    if (!isNow(view)) return (await this.computePositions(view, [actor], limit))[0];
    return (await this.nowAnswer('one', [actor], limit)).actors[0];
  }

  /** GET /positions/:actor as JSON bytes. */
  async positionJson(slug: string, view: View, limit = DEFAULT_LIST_LIMIT): Promise<Buffer> {
    if (!isNow(view)) return Buffer.from(JSON.stringify(await this.position(slug, view, limit)));
    const answer = await this.nowAnswer('one', [await this.actor(slug)], limit);
    return (answer.json ??= Buffer.from(JSON.stringify(answer.actors[0])));
  }

  private async nowAnswer(route: 'all' | 'one', actors: Actor[], limit: number): Promise<NowAnswer> {
    await Promise.all([this.entries.ready(), this.proposalDocs.ready(), this.agreementDocs.ready()]);
    const key = `${route}|${route === 'one' ? actors[0].slug : ''}|${limit}`;
    const version = `${this.entries.version}|${this.proposalDocs.version}|${this.agreementDocs.version}`;
    const memo = this.now.get(key);
    if (memo?.version === version && sameRegistry(memo.registry, actors)) return memo;
    // Taken before computing: the caches only move forward, so the answer reflects at least this.
    const position = this.cachedPosition();
    const answer: NowAnswer = { version, registry: actors, position, actors: await this.computePositions(NOW, actors, limit) };
    if (this.now.size > 100) this.now.clear();
    this.now.set(key, answer);
    return answer;
  }

  /**
   * Whether the cached read models reflect at least `position` (read-your-writes: see
   * MinPositionGuard, which asks again until they do, each time with a fresh look).
   */
  async reflects(position: number): Promise<boolean> {
    await Promise.all([this.entries.ready(), this.proposalDocs.ready(), this.agreementDocs.ready()]);
    return this.cachedPosition() >= position;
  }

  /** The log position the cached projections reflect. */
  private cachedPosition(): number {
    return Math.min(this.entries.position, this.proposalDocs.position, this.agreementDocs.position);
  }

  private async actor(slug: string): Promise<Actor> {
    const actor = await this.registry.actor(slug);
    if (!actor) throw new NotFound(`no actor "${slug}" is registered`);
    return actor;
  }

  private async computePositions(view: View, actors: Actor[], limit: number): Promise<ActorPosition[]> {
    const byActor = new Map<string, readonly ActorEntry[]>();
    for (const a of actors) byActor.set(a.slug, inView(await this.entries.group(a.slug), view));
    await Promise.all([this.proposalDocs.ready(), this.agreementDocs.ready()]);
    const status = (id: string) => viewProposal(this.proposalDocs.peek('', id), view)?.status ?? null;
    const agreementStatus = (id: string) => viewAgreement(this.agreementDocs.peek('', id), view, NO_CEASEFIRE)?.status ?? null;
    const roles = new Map((await this.registry.actors()).map((a) => [a.slug, a.role as string]));
    return actors.map((a) => viewActor(a, byActor.get(a.slug) ?? [], view, roles, status, agreementStatus, limit));
  }

  async history(slug: string, issue: string, view: View): Promise<StanceChange[]> {
    await this.actor(slug);
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
    const conditions: string[] = ['d.sort_key IS NOT NULL']; // entries only, not what the fold remembers of proposals
    const params: unknown[] = [];
    if (filter.actor) conditions.push(`d.doc->'actors' ? $${params.push(filter.actor)}`);
    if (filter.issue) conditions.push(`d.doc->'issues' ? $${params.push(filter.issue)}`);
    if (filter.from !== undefined) conditions.push(`d.occurred >= $${params.push(Math.floor(filter.from))}`);
    if (filter.to !== undefined) conditions.push(`d.occurred <= $${params.push(Math.floor(filter.to))}`);
    const rows = await this.docs.activeInView<TimelineDoc>('timeline', view, { extraWhere: conditions.join(' AND '), extraParams: params });
    return rows.map((r) => viewTimelineEntry(r.doc, view, filter)).filter((e): e is TimelineEntry => e !== null);
  }

  async agreements(view: View): Promise<AgreementView[]> {
    const [docs, ceasefire] = await Promise.all([this.agreementDocs.group(''), this.ceasefire(view)]);
    return docs
      .map((doc) => viewAgreement(doc, view, ceasefire))
      .filter((a): a is AgreementView => a !== null)
      .sort((a, b) => byFirstPosting(a, b));
  }

  async agreement(id: string, view: View): Promise<AgreementView> {
    const [, ceasefire] = await Promise.all([this.agreementDocs.ready(), this.ceasefire(view)]);
    const doc = this.agreementDocs.peek('', id);
    const agreement = viewAgreement(doc, view, ceasefire);
    if (!agreement) throw new NotFound(`no agreement "${id}" is on record${doc ? ' in this view' : ''}`);
    return agreement;
  }

  private async ceasefire(view: View) {
    return viewCeasefire((await this.docs.activeInView<StatusDoc>('status', view)).map((r) => r.doc), view);
  }

  async status(view: View): Promise<StatusView> {
    const rows = await this.docs.activeInView<StatusDoc>('status', view);
    return viewStatus(rows.map((r) => r.doc), view);
  }
}

interface NowAnswer {
  /** The caches' version the answer was computed from. */
  version: string;
  /** The registry's actors it was computed for. */
  registry: Actor[];
  position: number;
  actors: ActorPosition[];
  /** The answer serialised, once someone has asked for it as JSON. */
  json?: Buffer;
}

/**
 * The registry hands out the same actor objects until something is registered, then new ones:
 * comparing them by identity tells a cached answer's actors are still the registry's, cheaply.
 */
function sameRegistry(a: Actor[], b: Actor[]): boolean {
  return a.length === b.length && a.every((actor, i) => actor === b[i]);
}

/** Agreements in the order they were first posted (ties by id). */
function byFirstPosting(a: AgreementView, b: AgreementView): number {
  return a.versions[0].occurredAt.localeCompare(b.versions[0].occurredAt) || a.agreementId.localeCompare(b.agreementId);
}

/** What an agreement's status needs of the ceasefire: nothing (its ceasefire fields are not read). */
const NO_CEASEFIRE = { inEffect: false, since: null, violations: [] };

function isNow(view: View): boolean {
  return !Number.isFinite(view.asOf) && !Number.isFinite(view.knownAt);
}

/** Only entries whose event is in the view can count; the views check retractions themselves. */
function inView(entries: readonly ActorEntry[], view: View): readonly ActorEntry[] {
  if (isNow(view)) return entries;
  return entries.filter((e) => stampInView(e.ev.stamp, view));
}
