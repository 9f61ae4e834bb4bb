// The registries (owns: actors and issues, built-in and registered; checking an event's references).
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ActorRole } from '../catalogue/builtins.js';
import type { Terms } from '../catalogue/primitives.js';
import type { Reference } from '../catalogue/define-event.js';
import { formatPath, type FieldError } from '../catalogue/catalogue.js';
import { EventStore } from '../event-store/event-store.js';

export interface Actor {
  slug: string;
  name: string;
  role: ActorRole;
  builtin: boolean;
}

export interface Issue {
  slug: string;
  name: string;
  description: string | null;
  builtin: boolean;
}

/** A slug taken already; ProblemFilter answers it with 409. */
export class AlreadyRegistered extends Error {}

@Injectable()
export class RegistryService {
  private cache?: { actors: Map<string, Actor>; issues: Map<string, Issue> };

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(EventStore) private readonly store: EventStore,
  ) {}

  async actors(): Promise<Actor[]> {
    return [...(await this.load()).actors.values()];
  }

  async issues(): Promise<Issue[]> {
    return [...(await this.load()).issues.values()];
  }

  async actor(slug: string): Promise<Actor | undefined> {
    return (await this.load()).actors.get(slug) ?? (await this.load(true)).actors.get(slug);
  }

  async registerActor(a: { slug: string; name: string; role: ActorRole }, by: string): Promise<Actor> {
    const rows = await this.db.query(
      `INSERT INTO actors (slug, name, role, registered_by) VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING RETURNING slug`,
      [a.slug, a.name, a.role, by],
    );
    this.cache = undefined;
    if (rows.length === 0) throw new AlreadyRegistered(`actor "${a.slug}" is already registered`);
    return { ...a, builtin: false };
  }

  async registerIssue(i: { slug: string; name: string; description?: string }, by: string): Promise<Issue> {
    const rows = await this.db.query(
      `INSERT INTO issues (slug, name, description, registered_by) VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING RETURNING slug`,
      [i.slug, i.name, i.description ?? null, by],
    );
    this.cache = undefined;
    if (rows.length === 0) throw new AlreadyRegistered(`issue "${i.slug}" is already registered`);
    return { slug: i.slug, name: i.name, description: i.description ?? null, builtin: false };
  }

  /**
   * The references that do not resolve, as field errors, checked with one query per kind.
   * `inBatch` says whether an earlier event of the same batch defines the reference; `pathOf`
   * names the field that holds it (its own path by default).
   */
  async unresolved<R extends Reference>(refs: R[], inBatch: (ref: R) => boolean = () => false, pathOf: (ref: R) => string = (r) => formatPath(r.path)): Promise<FieldError[]> {
    let reg = await this.load();
    if (refs.some((r) => (r.kind === 'actor' && !reg.actors.has(r.id)) || (r.kind === 'issue' && !reg.issues.has(r.id)))) {
      reg = await this.load(true); // registered by another server since we last looked
    }
    const ids = (kind: Reference['kind']) => [...new Set(refs.filter((r) => r.kind === kind && !inBatch(r)).map((r) => r.id))];
    // Most events (a statement, a meeting) refer to actors and issues only: no query at all then.
    const stored = refs.some((r) => r.kind !== 'actor' && r.kind !== 'issue');
    const [proposals, agreements, events] = !stored ? [NONE, NONE, NONE] : await Promise.all([
      this.store.existingValues('ProposalMade', 'proposalId', ids('proposal')),
      this.store.existingValues('AgreementReached', 'agreementId', ids('agreement')),
      this.store.getByIds(ids('event').filter(isUuid)).then((found) => new Set(found.map((e) => e.id))),
    ]);
    const errors: FieldError[] = [];
    for (const r of refs) {
      const ok =
        r.kind === 'actor' ? reg.actors.has(r.id)
        : r.kind === 'issue' ? reg.issues.has(r.id)
        : inBatch(r) || (r.kind === 'proposal' ? proposals : r.kind === 'agreement' ? agreements : events).has(r.id);
      if (!ok) errors.push({ path: pathOf(r), message: r.kind === 'actor' || r.kind === 'issue' ? `unknown ${r.kind} "${r.id}"` : `no ${r.kind} "${r.id}" exists` });
    }
    return errors;
  }

  /**
   * Each of these proposals on record: who first tabled it, its ProposalMade events that are
   * not retracted (none: the proposal is off the record), and every version's terms.
   */
  async proposalsOnRecord(proposalIds: string[]): Promise<{ proposalId: string; proposer: string; liveEvents: string[]; terms: Terms[] }[]> {
    return this.db.query(
      `SELECT p.data->>'proposalId' AS "proposalId",
              (array_agg(p.data->>'proposer' ORDER BY p.position))[1] AS proposer,
              array_agg(p.data->'terms' ORDER BY p.position) AS terms,
              coalesce(array_agg(p.id::text) FILTER (WHERE r.retracted IS NULL), '{}') AS "liveEvents"
         FROM events p
         -- Looked up per version, LIMIT 1: as a NOT EXISTS the planner hashed every retraction in the log (1.2 s at 665 000 events).
         LEFT JOIN LATERAL (
           SELECT true AS retracted FROM events r WHERE r.type IN ('SourceAdded', 'ReportRetracted') AND r.type = 'ReportRetracted' AND r.data->>'eventId' = p.id::text LIMIT 1
         ) r ON true
        WHERE p.type = 'ProposalMade' AND p.data->>'proposalId' = ANY($1)
        GROUP BY 1`,
      [proposalIds],
    );
  }

  /** Each of these agreements on record with the parties its latest posting that names them names. */
  async agreementsOnRecord(agreementIds: string[]): Promise<{ agreementId: string; parties: string[] }[]> {
    const rows: { agreementId: string; parties: string[] | null }[] = await this.db.query(
      `SELECT data->>'agreementId' AS "agreementId",
              (array_agg(data->'parties' ORDER BY position DESC) FILTER (WHERE data ? 'parties'))[1] AS parties
         FROM events
        WHERE type = 'AgreementReached' AND data->>'agreementId' = ANY($1)
        GROUP BY 1`,
      [agreementIds],
    );
    return rows.map((r) => ({ agreementId: r.agreementId, parties: r.parties ?? [] }));
  }

  private async load(fresh = false): Promise<{ actors: Map<string, Actor>; issues: Map<string, Issue> }> {
    if (this.cache && !fresh) return this.cache;
    const [actors, issues] = await Promise.all([
      this.db.query(`SELECT slug, name, role, builtin FROM actors ORDER BY seq`),
      this.db.query(`SELECT slug, name, description, builtin FROM issues ORDER BY seq`),
    ]);
    this.cache = {
      actors: new Map((actors as Actor[]).map((a) => [a.slug, a])),
      issues: new Map((issues as Issue[]).map((i) => [i.slug, i])),
    };
    return this.cache;
  }
}

const NONE: ReadonlySet<string> = new Set();

function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
