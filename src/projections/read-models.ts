// Reading the projections (owns: turning active documents into the contract's answers for a view).
// Nothing that grows with the history is held here: positions come from facet walks
// (positions.reader.ts), proposals and agreements are read by id, the lists by SQL in the view;
// only the answers for "now" are kept, one per route, actor and limit, until the projections move.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { READ_DB } from '../database/read-database.js';
import { EventStore, READ_EVENT_STORE } from '../event-store/event-store.js';
import { NotFound } from '../http/problems.js';
import { RegistryService, type Actor } from '../registry/registry.service.js';
import { NOW, type View } from './evidence.js';
import { DEFAULT_LIST_LIMIT, viewActor, type ActorPosition } from './positions/positions.view.js';
import { PositionsReader } from './positions/positions.reader.js';
import { stanceHistory, type StanceChange } from './positions/stance-history.js';
import { DocStore, type ProjectionState } from './projector/doc-store.js';
import type { ProposalDoc } from './proposals/proposals.fold.js';
import { viewProposal, type ProposalView } from './proposals/proposals.view.js';
import { viewCeasefire, viewStatus, type StatusDoc, type StatusView } from './status/status.fold.js';
import type { AgreementDoc } from './agreements/agreements.fold.js';
import { viewAgreement, type AgreementView } from './agreements/agreements.view.js';
import type { TimelineDoc } from './timeline/timeline.fold.js';
import { viewTimelineEntry, type TimelineEntry, type TimelineFilter } from './timeline/timeline.view.js';

/** Readers under load share one look at the projections' state per this many ms. */
const STALENESS_MS = 5;
const NOW_ANSWERS_KEPT = 100;

@Injectable()
export class ReadModels {
  private readonly docs: DocStore;
  private readonly positions: PositionsReader;
  /**
   * Answers for "now", what most readers ask for: computed once per version of the read models,
   * and serialised once too (at tens of KB, serialising dominated the cost of a request). Keyed
   * by route, actor and list limit.
   */
  private readonly now = new Map<string, NowAnswer>();
  private looking?: Promise<Map<string, ProjectionState>>;
  private looked?: { at: number; states: Map<string, ProjectionState> };

  constructor(
    @Inject(READ_DB) db: DataSource,
    @Inject(READ_EVENT_STORE) log: EventStore,
    @Inject(RegistryService) private readonly registry: RegistryService,
  ) {
    this.docs = new DocStore(db);
    this.positions = new PositionsReader(this.docs, log);
  }

  /** The log position the answers reflect. */
  checkpoint(...projections: string[]): Promise<number> {
    return this.docs.activeCheckpoint(projections);
  }

  /** GET /positions as JSON bytes; `echo` is the asOf/knownAt the client sent, answered back. */
  async positionsJson(view: View, echo: Record<string, string>, limit = DEFAULT_LIST_LIMIT, withTotals = false): Promise<Buffer> {
    const actors = await this.registry.actors();
    if (isNow(view) && !withTotals) {
      const answer = await this.nowAnswer('all', actors, limit);
      return (answer.json ??= Buffer.from(JSON.stringify({ position: answer.position, actors: answer.actors })));
    }
    const states = await this.states();
    const computed = await this.computePositions(states, view, actors, limit, withTotals);
    return Buffer.from(JSON.stringify({ ...echo, position: reflected(states), actors: computed }));
  }

  async position(slug: string, view: View, limit = DEFAULT_LIST_LIMIT, withTotals = false): Promise<ActorPosition> {
    const actor = await this.actor(slug);
    if (!isNow(view) || withTotals) return (await this.computePositions(await this.states(), view, [actor], limit, withTotals))[0];
    return (await this.nowAnswer('one', [actor], limit)).actors[0];
  }

  /** GET /positions/:actor as JSON bytes. */
  async positionJson(slug: string, view: View, limit = DEFAULT_LIST_LIMIT, withTotals = false): Promise<Buffer> {
    if (!isNow(view) || withTotals) return Buffer.from(JSON.stringify(await this.position(slug, view, limit, withTotals)));
    const answer = await this.nowAnswer('one', [await this.actor(slug)], limit);
    return (answer.json ??= Buffer.from(JSON.stringify(answer.actors[0])));
  }

  private async nowAnswer(route: 'all' | 'one', actors: Actor[], limit: number): Promise<NowAnswer> {
    const states = await this.states();
    const key = `${route}|${route === 'one' ? actors[0].slug : ''}|${limit}`;
    const version = versionOf(states);
    const memo = this.now.get(key);
    if (memo?.version === version && sameRegistry(memo.registry, actors)) return memo;
    // Taken before computing: the projections only move forward, so the answer reflects at least this.
    const answer: NowAnswer = { version, registry: actors, position: reflected(states), actors: await this.computePositions(states, NOW, actors, limit, false) };
    if (this.now.size >= NOW_ANSWERS_KEPT) this.now.clear();
    this.now.set(key, answer);
    return answer;
  }

  /**
   * Whether the read models reflect at least `position` (read-your-writes: see
   * MinPositionGuard, which asks again until they do, each time with a fresh look).
   */
  async reflects(position: number): Promise<boolean> {
    return reflected(await this.states()) >= position;
  }

  /** The projections' state, looked at once for every reader arriving within STALENESS_MS. */
  private async states(): Promise<Map<string, ProjectionState>> {
    if (this.looked && performance.now() - this.looked.at < STALENESS_MS) return this.looked.states;
    this.looking ??= this.docs.states().finally(() => (this.looking = undefined));
    const states = await this.looking;
    this.looked = { at: performance.now(), states };
    return states;
  }

  private async actor(slug: string): Promise<Actor> {
    const actor = await this.registry.actor(slug);
    if (!actor) throw new NotFound(`no actor "${slug}" is registered`);
    return actor;
  }

  private async computePositions(states: Map<string, ProjectionState>, view: View, actors: Actor[], limit: number, withTotals: boolean): Promise<ActorPosition[]> {
    const [everyone, issues] = await Promise.all([this.registry.actors(), this.registry.issues()]);
    const found = await this.positions.find({
      generation: activeGeneration(states, 'positions'),
      upTo: states.get('positions')?.activeCheckpoint ?? 0,
      actors: actors.map((a) => a.slug),
      claimants: everyone.map((a) => a.slug),
      issues: issues.map((i) => i.slug),
      view,
      limit,
      withTotals,
      statuses: (kind, ids) => this.statuses(states, kind, ids, view),
    });
    const roles = new Map(everyone.map((a) => [a.slug, a.role as string]));
    return actors.map((a) => viewActor(a, found.entries.get(a.slug) ?? [], view, roles, found.proposalStatus, found.agreementStatus, limit, withTotals));
  }

  /** The status in the view of each proposal (or agreement) named; null when it is not on record in the view. */
  private async statuses(states: Map<string, ProjectionState>, kind: 'proposals' | 'agreements', ids: string[], view: View): Promise<Map<string, string | null>> {
    const docs = await this.docs.load<ProposalDoc & AgreementDoc>(kind, activeGeneration(states, kind), ids);
    const status = (doc: (ProposalDoc & AgreementDoc) | undefined) => (kind === 'proposals' ? viewProposal(doc, view)?.status : viewAgreement(doc, view, NO_CEASEFIRE)?.status) ?? null;
    return new Map(ids.map((id) => [id, status(docs.get(id))]));
  }

  async history(slug: string, issue: string, view: View): Promise<StanceChange[]> {
    await this.actor(slug);
    const [states, everyone] = await Promise.all([this.states(), this.registry.actors()]);
    const entries = await this.positions.onIssue(activeGeneration(states, 'positions'), states.get('positions')?.activeCheckpoint ?? 0, slug, issue, everyone.map((a) => a.slug).filter((a) => a !== slug), view);
    return stanceHistory(entries, issue, view);
  }

  async proposals(view: View): Promise<ProposalView[]> {
    return (await this.docs.activeInView<ProposalDoc>('proposals', view))
      .map((r) => viewProposal(r.doc, view))
      .filter((p): p is ProposalView => p !== null)
      .sort((a, b) => a.proposedAt.localeCompare(b.proposedAt) || a.proposalId.localeCompare(b.proposalId));
  }

  async proposal(id: string, view: View): Promise<ProposalView> {
    const doc = await this.activeDoc<ProposalDoc>('proposals', id);
    const proposal = viewProposal(doc, view);
    if (!proposal) throw new NotFound(`no proposal "${id}" is on record${doc ? ' in this view' : ''}`);
    return proposal;
  }

  private async activeDoc<D>(projection: string, key: string): Promise<D | undefined> {
    return (await this.docs.load<D>(projection, activeGeneration(await this.states(), projection), [key])).get(key);
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
    const [rows, ceasefire] = await Promise.all([this.docs.activeInView<AgreementDoc>('agreements', view), this.ceasefire(view)]);
    return rows
      .map((r) => viewAgreement(r.doc, view, ceasefire))
      .filter((a): a is AgreementView => a !== null)
      .sort((a, b) => byFirstPosting(a, b));
  }

  async agreement(id: string, view: View): Promise<AgreementView> {
    const [doc, ceasefire] = await Promise.all([this.activeDoc<AgreementDoc>('agreements', id), this.ceasefire(view)]);
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

/** The log position every projection a positions answer reads reflects. */
function reflected(states: Map<string, ProjectionState>): number {
  return Math.min(...['positions', 'proposals', 'agreements'].map((p) => states.get(p)?.activeCheckpoint ?? 0));
}

/** Names what the projections a positions answer reads hold: equal versions give equal answers. */
function versionOf(states: Map<string, ProjectionState>): string {
  return ['positions', 'proposals', 'agreements'].map((p) => `${states.get(p)?.activeGeneration}:${states.get(p)?.activeCheckpoint}`).join('|');
}

function activeGeneration(states: Map<string, ProjectionState>, projection: string): number {
  return states.get(projection)?.activeGeneration ?? 0;
}
