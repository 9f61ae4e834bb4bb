// Walking positions' facets (owns: finding the entries an actor's position in a view rests on). Nothing
// per event stays in memory: each facet of the actor (positions.facets.ts) is walked newest
// first inside the view, a few index rows at a time, until it holds what viewActor reads of it —
// a stance cell down to its first disagreeing claim, a list's latest `limit` items, the latest
// entry — and only those entries are fetched. The cost follows what the answer shows, not the
// length of the history.
import { Logger } from '@nestjs/common';
import { counts, type View } from '../evidence.js';
import type { LogByIds } from '../projection.js';
import type { DocStore, FacetRow } from '../projector/doc-store.js';
import { FACET, LIST_FACETS, type ListFacet } from './positions.facets.js';
import { positionsProjection, type ActorEntry } from './positions.fold.js';

/** What the walks need to know beyond the entries: the registries, and the statuses of linked proposals and agreements. */
export interface PositionsQuery {
  generation: number;
  /** The log position the generation reflects: entries are folded again from the log up to it. */
  upTo: number;
  actors: string[];
  /** Every registered actor (who may have claimed something of another) and issue. */
  claimants: string[];
  issues: string[];
  view: View;
  limit: number;
  /** Walk every list to its end, for ActorPosition.totals. */
  withTotals: boolean;
  /** Statuses in the view of the proposals (or agreements) named, null for those not on record in it. */
  statuses: (kind: 'proposals' | 'agreements', ids: string[]) => Promise<Map<string, string | null>>;
}

export interface PositionsFound {
  entries: Map<string, ActorEntry[]>;
  proposalStatus: (id: string) => string | null;
  agreementStatus: (id: string) => string | null;
}

interface Walk {
  actor: string;
  facet: string;
  rows: FacetRow[];
  batch: number;
  exhausted: boolean;
  /** Whether the entries fetched so far (newest first) are all viewActor reads of this facet. */
  enough: (entries: ActorEntry[]) => boolean;
}

const FIRST_BATCH = { entry: 1, cell: 3 };
const logger = new Logger('positions');

export class EntryWalks {
  constructor(
    private readonly docs: DocStore,
    private readonly log: LogByIds,
  ) {}

  async find(q: PositionsQuery): Promise<PositionsFound> {
    const statuses = { proposals: new Map<string, string | null>(), agreements: new Map<string, string | null>() };
    const status = (kind: 'proposals' | 'agreements') => (id: string) => statuses[kind].get(id) ?? null;
    const walks = q.actors.flatMap((actor) => this.walksOf(actor, q, status));
    const fetched = new Map<string, ActorEntry>();
    let open = walks;
    // LOG_LEVEL=debug shows where a read's time goes, round by round (bench/README.md's profile).
    const timings: string[] | undefined = Logger.isLevelEnabled('debug') ? [] : undefined;
    while (open.length) {
      const started = performance.now();
      const steps = await this.docs.walkFacets('positions', q.generation, q.view, open.map((w) => ({ group: w.actor, facet: w.facet, before: w.rows.at(-1), limit: w.batch })));
      open.forEach((w, i) => {
        w.rows.push(...steps[i]);
        w.exhausted = steps[i].length < w.batch;
        w.batch *= 2;
      });
      const walked = performance.now();
      const missing = [...new Set(open.flatMap((w) => w.rows.map((r) => r.key)))].filter((key) => !fetched.has(key));
      for (const [key, doc] of await entriesFromLog(this.log, missing, q.upTo)) fetched.set(key, doc);
      const folded = performance.now();
      await this.learnStatuses(open, fetched, statuses, q);
      timings?.push(`${open.length} walks ${(walked - started).toFixed(1)} ms, ${missing.length} entries ${(folded - walked).toFixed(1)} ms, statuses ${(performance.now() - folded).toFixed(1)} ms`);
      open = open.filter((w) => !w.exhausted && !w.enough(entriesOf(w, fetched)));
    }
    if (timings) logger.debug(`${q.actors.join(',')}: ${timings.join('; ')}`);
    const entries = new Map<string, ActorEntry[]>(q.actors.map((a) => [a, []]));
    const seen = new Set<string>();
    for (const w of walks) {
      for (const r of w.rows) {
        const doc = fetched.get(r.key);
        if (doc && !seen.has(r.key) && seen.add(r.key)) entries.get(w.actor)!.push(doc);
      }
    }
    return { entries, proposalStatus: status('proposals'), agreementStatus: status('agreements') };
  }

  /** Every entry of the actor on an issue in the view, retracted ones too (for the cell's history). */
  async onIssue(generation: number, upTo: number, actor: string, issue: string, claimants: string[], view: View): Promise<ActorEntry[]> {
    const facets = [FACET.stance(issue), ...claimants.map((by) => FACET.claim(issue, by))];
    const rows: FacetRow[][] = facets.map(() => []);
    let open = facets.map((_, i) => i);
    while (open.length) {
      const steps = await this.docs.walkFacets('positions', generation, view, open.map((i) => ({ group: actor, facet: facets[i], before: rows[i].at(-1), limit: 1000 })), false);
      open.forEach((i, n) => rows[i].push(...steps[n]));
      open = open.filter((_, n) => steps[n].length === 1000);
    }
    const keys = [...new Set(rows.flat().map((r) => r.key))];
    return [...(await entriesFromLog(this.log, keys, upTo)).values()];
  }

  private walksOf(actor: string, q: PositionsQuery, status: (kind: 'proposals' | 'agreements') => (id: string) => string | null): Walk[] {
    const { view, limit } = q;
    const walk = (facet: string, batch: number, enough: Walk['enough']): Walk => ({ actor, facet, rows: [], batch, exhausted: false, enough });
    const inView = (entries: ActorEntry[]) => entries.filter((e) => counts(e.ev, view));
    const list = (facet: ListFacet): Walk => {
      if (q.withTotals) return walk(FACET[facet], 256, () => false);
      if (facet === 'proposals' || facet === 'agreements') {
        const shown = status(facet);
        return walk(FACET[facet], 2 * limit, (entries) => linksShown(inView(entries), facet, shown) >= limit);
      }
      return walk(FACET[facet], limit, (entries) => inView(entries).length >= limit);
    };
    return [
      walk(FACET.entry, FIRST_BATCH.entry, (entries) => inView(entries).length > 0),
      ...q.issues.map((issue) => walk(FACET.stance(issue), FIRST_BATCH.cell, (entries) => runClosed(inView(entries).map((e) => e.claims), issue))),
      // An actor's own claim about itself too: viewActor lists every claimant's latest.
      ...q.claimants.flatMap((by) => q.issues.map((issue) => walk(FACET.claim(issue, by), FIRST_BATCH.cell, (entries) => runClosed(inView(entries).map((e) => (e.claimed?.by === by ? e.claimed.claims : undefined)), issue)))),
      ...LIST_FACETS.map(list),
    ];
  }

  /** Asks for the statuses of the proposals and agreements the list walks have met and not asked about. */
  private async learnStatuses(open: Walk[], fetched: Map<string, ActorEntry>, statuses: Record<'proposals' | 'agreements', Map<string, string | null>>, q: PositionsQuery): Promise<void> {
    for (const kind of ['proposals', 'agreements'] as const) {
      const ids = new Set<string>();
      for (const w of open) {
        if (w.facet !== FACET[kind]) continue;
        for (const e of entriesOf(w, fetched)) for (const { id } of linksOf(e, kind)) if (!statuses[kind].has(id)) ids.add(id);
      }
      if (ids.size) for (const [id, s] of await q.statuses(kind, [...ids])) statuses[kind].set(id, s);
    }
  }
}

/** The entries at `keys` as the positions fold had them at position `upTo` (folded again from the log). */
async function entriesFromLog(log: LogByIds, keys: string[], upTo: number): Promise<Map<string, ActorEntry>> {
  return (await positionsProjection.derived!.fromLog(log, keys, upTo)) as Map<string, ActorEntry>;
}

function entriesOf(w: Walk, fetched: Map<string, ActorEntry>): ActorEntry[] {
  return w.rows.map((r) => fetched.get(r.key)).filter((e): e is ActorEntry => e !== undefined);
}

/** Whether, newest first, a claim on `issue` disagrees with the latest one (viewActor stops there). */
function runClosed(claimLists: ({ issue: string; stance: string }[] | undefined)[], issue: string): boolean {
  let first: string | undefined;
  for (const claims of claimLists) {
    for (const c of claims ?? []) {
      if (c.issue !== issue) continue;
      if (first === undefined) first = c.stance;
      else if (c.stance !== first) return true;
    }
  }
  return false;
}

/** An entry's links to proposals (or agreements): what it links to, in which role. */
function linksOf(e: ActorEntry, kind: 'proposals' | 'agreements'): { id: string; role: string }[] {
  return kind === 'proposals' ? (e.proposals ?? []).map((p) => ({ id: p.proposalId, role: p.role })) : (e.agreements ?? []).map((a) => ({ id: a.agreementId, role: a.role }));
}

/** How many distinct links viewActor would show from these entries (those with a status in the view). */
function linksShown(entries: ActorEntry[], kind: 'proposals' | 'agreements', status: (id: string) => string | null): number {
  const seen = new Set<string>();
  for (const e of entries) for (const { id, role } of linksOf(e, kind)) if (status(id) !== null) seen.add(`${id}\u0000${role}`);
  return seen.size;
}
