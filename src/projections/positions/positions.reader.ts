// Reading positions (owns: GET /positions and GET /positions/:actor answers, and a cell's history).
// The entries an answer rests on come from facet walks (entry-walks.ts); viewActor, the same view
// the specification uses, makes the answer. Only the answers for "now" are kept: per route, actor
// and limit, until the projections they read move.
import { Inject, Injectable } from '@nestjs/common';
import { EventStore, READ_EVENT_STORE } from '../../event-store/event-store.js';
import { NotFound } from '../../http/problems.js';
import { RegistryService, type Actor } from '../../registry/registry.service.js';
import { AgreementsReader } from '../agreements/agreements.reader.js';
import { NOW, type View } from '../evidence.js';
import { READ_DOC_STORE, ProjectionStates, activeGeneration, reflected, versionOf, type States } from '../projection-states.js';
import type { DocStore } from '../projector/doc-store.js';
import { ProposalsReader } from '../proposals/proposals.reader.js';
import { EntryWalks } from './entry-walks.js';
import { DEFAULT_LIST_LIMIT, viewActor, type ActorPosition } from './positions.view.js';
import { stanceHistory, type StanceChange } from './stance-history.js';

/** What a positions answer reads: its entries, and the proposals and agreements they link to. */
const READS = ['positions', 'proposals', 'agreements'];
const NOW_ANSWERS_KEPT = 100;

interface NowAnswer {
  /** The version of the read models the answer was computed from. */
  version: string;
  /** The registry's actors it was computed for. */
  registry: Actor[];
  position: number;
  actors: ActorPosition[];
  /** The answer serialised, once someone has asked for it as JSON. */
  json?: Buffer;
}

@Injectable()
export class PositionsReader {
  private readonly walks: EntryWalks;
  /**
   * Answers for "now", what most readers ask for: computed once per version of the read models,
   * and serialised once too (at tens of KB, serialising dominated the cost of a request).
   */
  private readonly now = new Map<string, NowAnswer>();

  constructor(
    @Inject(READ_DOC_STORE) docs: DocStore,
    @Inject(READ_EVENT_STORE) log: EventStore,
    @Inject(ProjectionStates) private readonly states: ProjectionStates,
    @Inject(RegistryService) private readonly registry: RegistryService,
    @Inject(ProposalsReader) private readonly proposals: ProposalsReader,
    @Inject(AgreementsReader) private readonly agreements: AgreementsReader,
  ) {
    this.walks = new EntryWalks(docs, log);
  }

  /** GET /positions as JSON bytes; `echo` is the asOf/knownAt the client sent, answered back. */
  async positionsJson(view: View, echo: Record<string, string>, limit = DEFAULT_LIST_LIMIT, withTotals = false): Promise<Buffer> {
    const actors = await this.registry.actors();
    if (isNow(view) && !withTotals) {
      const answer = await this.nowAnswer('all', actors, limit);
      return (answer.json ??= Buffer.from(JSON.stringify({ position: answer.position, actors: answer.actors })));
    }
    const states = await this.states.current();
    const computed = await this.compute(states, view, actors, limit, withTotals);
    return Buffer.from(JSON.stringify({ ...echo, position: reflected(states, READS), actors: computed }));
  }

  async position(slug: string, view: View, limit = DEFAULT_LIST_LIMIT, withTotals = false): Promise<ActorPosition> {
    const actor = await this.actor(slug);
    if (!isNow(view) || withTotals) return (await this.compute(await this.states.current(), view, [actor], limit, withTotals))[0];
    return (await this.nowAnswer('one', [actor], limit)).actors[0];
  }

  /** GET /positions/:actor as JSON bytes. */
  async positionJson(slug: string, view: View, limit = DEFAULT_LIST_LIMIT, withTotals = false): Promise<Buffer> {
    if (!isNow(view) || withTotals) return Buffer.from(JSON.stringify(await this.position(slug, view, limit, withTotals)));
    const answer = await this.nowAnswer('one', [await this.actor(slug)], limit);
    return (answer.json ??= Buffer.from(JSON.stringify(answer.actors[0])));
  }

  /** Every claim on one (actor, issue) cell in the view, retracted ones kept and marked. */
  async history(slug: string, issue: string, view: View): Promise<{ actor: string; issue: string; changes: StanceChange[] }> {
    await this.actor(slug);
    const [states, everyone] = await Promise.all([this.states.current(), this.registry.actors()]);
    const entries = await this.walks.onIssue(activeGeneration(states, 'positions'), reflected(states, ['positions']), slug, issue, everyone.map((a) => a.slug), view);
    return { actor: slug, issue, changes: stanceHistory(entries, issue, view) };
  }

  private async nowAnswer(route: 'all' | 'one', actors: Actor[], limit: number): Promise<NowAnswer> {
    const states = await this.states.current();
    const key = `${route}|${route === 'one' ? actors[0].slug : ''}|${limit}`;
    const version = versionOf(states, READS);
    const memo = this.now.get(key);
    if (memo?.version === version && sameRegistry(memo.registry, actors)) return memo;
    // Taken before computing: the projections only move forward, so the answer reflects at least this.
    const answer: NowAnswer = { version, registry: actors, position: reflected(states, READS), actors: await this.compute(states, NOW, actors, limit, false) };
    if (this.now.size >= NOW_ANSWERS_KEPT) this.now.clear();
    this.now.set(key, answer);
    return answer;
  }

  private async actor(slug: string): Promise<Actor> {
    const actor = await this.registry.actor(slug);
    if (!actor) throw new NotFound(`no actor "${slug}" is registered`);
    return actor;
  }

  private async compute(states: States, view: View, actors: Actor[], limit: number, withTotals: boolean): Promise<ActorPosition[]> {
    const [everyone, issues] = await Promise.all([this.registry.actors(), this.registry.issues()]);
    const found = await this.walks.find({
      generation: activeGeneration(states, 'positions'),
      upTo: reflected(states, ['positions']),
      actors: actors.map((a) => a.slug),
      claimants: everyone.map((a) => a.slug),
      issues: issues.map((i) => i.slug),
      view,
      limit,
      withTotals,
      statuses: (kind, ids) => (kind === 'proposals' ? this.proposals : this.agreements).statuses(states, ids, view),
    });
    const roles = new Map(everyone.map((a) => [a.slug, a.role as string]));
    return actors.map((a) => viewActor(a, found.entries.get(a.slug) ?? [], view, roles, found.proposalStatus, found.agreementStatus, limit, withTotals));
  }
}

/**
 * The registry hands out the same actor objects until something is registered, then new ones:
 * comparing them by identity tells a cached answer's actors are still the registry's, cheaply.
 */
function sameRegistry(a: Actor[], b: Actor[]): boolean {
  return a.length === b.length && a.every((actor, i) => actor === b[i]);
}

function isNow(view: View): boolean {
  return !Number.isFinite(view.asOf) && !Number.isFinite(view.knownAt);
}
