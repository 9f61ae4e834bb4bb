// Recording developments: envelopes validated at the edge; check what they reference, append all
// or none. The store's refusals (expectedVersion, idempotency, a racing retraction) reach
// ProblemFilter as they are.
import { hash, randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { correctionTarget, formatPath, isCorrection, referencesOf, type Envelope, type FieldError } from '../catalogue/catalogue.js';
import type { Reference } from '../catalogue/define-event.js';
import { actorsConcerned, issuesConcerned, type Concerns, type Development } from '../catalogue/concerns.js';
import { isCalendarDay, issuesTouchedBy, occurrenceClocks, startOf } from '../catalogue/primitives.js';
import { EventStore, type NewStoredEvent, type StoredEvent } from '../event-store/event-store.js';
import { Conflict, InvalidInput } from '../http/problems.js';
import { RegistryService } from '../registry/registry.service.js';

export interface AppendResult {
  /** false when every event was already stored with the same body (an idempotent retry). */
  created: boolean;
  events: StoredEvent[];
}

/** Names a field (`path` within the event) of the command's event `index`, for error messages. */
export type FieldOf = (index: number, path: ReadonlyArray<PropertyKey>) => string;

export class AppendEvents extends Command<AppendResult> {
  constructor(
    readonly envelopes: Envelope[],
    readonly recordedBy: string,
    readonly expectedVersion: number | undefined,
    /** The field as the sender knows it; by default its path within the event. */
    readonly fieldOf: FieldOf = (_index, path) => formatPath(path),
  ) {
    super();
  }
}

@CommandHandler(AppendEvents)
export class AppendEventsHandler implements ICommandHandler<AppendEvents> {
  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(RegistryService) private readonly registry: RegistryService,
  ) {}

  async execute({ envelopes, recordedBy, expectedVersion, fieldOf }: AppendEvents): Promise<AppendResult> {
    const errors: FieldError[] = [];
    const ids = envelopes.map((e) => e.id ?? randomUUID());
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) errors.push({ path: fieldOf(i, ['id']), message: `id ${id} appears twice in the batch` });
    });
    const refs = envelopes.map(referencesOf);
    errors.push(...(await this.checkReferences(envelopes, refs, ids, fieldOf)));
    if (errors.length) throw new InvalidInput(errors, 'The request refers to something that does not exist; see errors.');
    await this.checkCorrections(envelopes, ids, fieldOf);
    await this.checkProposals(envelopes, ids);
    await this.checkAgreements(envelopes, fieldOf);

    const now = new Date();
    const concerns = await this.concerns(envelopes, ids);
    const records = envelopes.map((e, i) => toRecord(e, concerns[i], ids[i], recordedBy, now));
    const outcome = await this.store.append(records, expectedVersion);
    return { created: outcome.kind === 'appended', events: outcome.events };
  }

  private async checkReferences(envelopes: Envelope[], refsOf: Reference[][], ids: string[], fieldOf: FieldOf): Promise<FieldError[]> {
    // What each event of the batch defines, so that later events in it may refer to it.
    const defined = new Map<string, number>();
    envelopes.forEach((e, i) => {
      defined.set(`event:${ids[i]}`, i);
      if (e.type === 'ProposalMade' && !defined.has(`proposal:${e.data.proposalId}`)) defined.set(`proposal:${e.data.proposalId}`, i);
      if (e.type === 'AgreementReached' && !defined.has(`agreement:${e.data.agreementId}`)) defined.set(`agreement:${e.data.agreementId}`, i);
    });
    const refs = refsOf.flatMap((own, i) => own.map((r) => ({ ...r, index: i })));
    return this.registry.unresolved(refs, (r) => (defined.get(`${r.kind}:${r.id}`) ?? Infinity) < r.index, (r) => fieldOf(r.index, r.path));
  }

  /**
   * An agreement is first recorded with its parties and terms (a later posting may carry only
   * what changes); it is ratified by one of its parties, as its latest posting names them (400).
   */
  private async checkAgreements(envelopes: Envelope[], fieldOf: FieldOf): Promise<void> {
    const named = [...new Set(envelopes.flatMap((e) => (e.type === 'AgreementReached' || e.type === 'AgreementRatified' ? [e.data.agreementId] : [])))];
    if (named.length === 0) return;
    const parties = new Map((await this.registry.agreementsOnRecord(named)).map((a) => [a.agreementId, a.parties]));
    const errors: FieldError[] = [];
    envelopes.forEach((e, i) => {
      if (e.type === 'AgreementReached') {
        const known = parties.has(e.data.agreementId);
        for (const field of ['parties', 'terms'] as const) {
          if (!known && e.data[field] === undefined) errors.push({ path: fieldOf(i, ['data', field]), message: `required when agreement ${e.data.agreementId} is first recorded` });
        }
        if (e.data.parties || !known) parties.set(e.data.agreementId, e.data.parties ?? []);
      }
      if (e.type === 'AgreementRatified') {
        const of = parties.get(e.data.agreementId);
        if (of && !of.includes(e.data.by)) errors.push({ path: fieldOf(i, ['data', 'by']), message: `${e.data.by} is not a party to agreement ${e.data.agreementId} (its parties: ${of.join(', ')})` });
      }
    });
    if (errors.length) throw new InvalidInput(errors);
  }

  /**
   * A retraction may not be retracted, nor an event retracted twice (409); a source is added to,
   * and a dispute raised against, a development only, not a correction (400); a report already
   * retracted cannot be disputed (409).
   */
  private async checkCorrections(envelopes: Envelope[], ids: string[], fieldOf: FieldOf): Promise<void> {
    const targets = envelopes.flatMap((e) => correctionTarget(e) ?? []);
    if (targets.length === 0) return;
    const inBatch = new Map(envelopes.map((e, i) => [ids[i], e.type]));
    const stored = new Map((await this.store.getByIds(targets)).map((e) => [e.id, e.type]));
    const typeOf = (id: string) => stored.get(id) ?? inBatch.get(id);
    const errors: FieldError[] = [];
    envelopes.forEach((e, i) => {
      if (e.type !== 'SourceAdded' && e.type !== 'ReportDisputed') return;
      const targetType = typeOf(e.data.eventId) ?? '';
      if (isCorrection(targetType)) {
        const what = e.type === 'SourceAdded' ? 'sources are added to developments' : 'disputes are raised against developments';
        errors.push({ path: fieldOf(i, ['data', 'eventId']), message: `event ${e.data.eventId} is a ${targetType}; ${what}` });
      }
    });
    if (errors.length) throw new InvalidInput(errors);

    const retracting = envelopes.flatMap((e) => (e.type === 'ReportRetracted' ? [e.data.eventId] : []));
    const disputing = envelopes.flatMap((e) => (e.type === 'ReportDisputed' ? [e.data.eventId] : []));
    const already = await this.store.findReferencing(['ReportRetracted'], 'eventId', [...retracting, ...disputing]);
    // A retraction already stored under an id of this request is this request again (a retry).
    const retracted = (target: string) => already.some((r) => (r.data as { eventId: string }).eventId === target && !ids.includes(r.id));
    for (const target of retracting) {
      if (typeOf(target) === 'ReportRetracted') throw new Conflict(`event ${target} is itself a retraction; a retraction cannot be retracted`, { eventId: target });
      if (retracted(target) || retracting.filter((t) => t === target).length > 1) throw new Conflict(`event ${target} is already retracted`, { eventId: target });
    }
    for (const target of disputing) {
      if (retracted(target)) throw new Conflict(`event ${target} is retracted; only a report still standing can be disputed`, { eventId: target });
    }
  }

  /**
   * What each event concerns (the catalogue's rule), kept with it as metadata for the stream's
   * and the log's filters: an answer takes its proposal's issues (every version's, stored or
   * earlier in the batch), a correction what its target concerns, plus the actor it names.
   */
  private async concerns(envelopes: Envelope[], ids: string[]): Promise<Concerns[]> {
    const answered = [...new Set(envelopes.flatMap((e) => (e.type === 'ProposalResponded' ? [e.data.proposalId] : [])))];
    const targets = envelopes.flatMap((e) => correctionTarget(e) ?? []);
    const [tabled, stored] = await Promise.all([answered.length ? this.registry.proposalsOnRecord(answered) : [], targets.length ? this.store.getByIds(targets) : []]);
    const proposalIssues = new Map(tabled.map((p) => [p.proposalId, p.terms.flatMap(issuesTouchedBy)]));
    const known = new Map<string, Concerns>(stored.map((e) => [e.id, e.metadata as unknown as Concerns]));
    return envelopes.map((e, i) => {
      let concerns: Concerns;
      if (isCorrection(e.type)) {
        const target = known.get(correctionTarget(e)!) ?? { actors: [], issues: [] };
        const named = e.type === 'ReportDisputed' && e.data.by ? [e.data.by] : [];
        concerns = { actors: [...new Set([...target.actors, ...named])], issues: target.issues };
      } else {
        const d = e as Development;
        if (d.type === 'ProposalMade') proposalIssues.set(d.data.proposalId, [...(proposalIssues.get(d.data.proposalId) ?? []), ...issuesTouchedBy(d.data.terms)]);
        const issuesOfProposal = d.type === 'ProposalResponded' ? [...new Set(proposalIssues.get(d.data.proposalId))] : [];
        concerns = { actors: actorsConcerned(d), issues: issuesConcerned(d, issuesOfProposal) };
      }
      known.set(ids[i], concerns);
      return concerns;
    });
  }

  /**
   * A proposal belongs to whoever first tabled it: a ProposalMade with its id by anyone else is
   * not a revision (409). A proposal whose every ProposalMade is retracted is off the record:
   * nothing may answer, counter or agree to it (409).
   */
  private async checkProposals(envelopes: Envelope[], ids: string[]): Promise<void> {
    const named = new Set(envelopes.flatMap(proposalsNamedBy));
    if (named.size === 0) return;
    const stored = await this.registry.proposalsOnRecord([...named]);
    // Each proposal's ProposalMade events still standing, followed through the batch in order:
    // a retraction counts only for what comes after it (an answer earlier in the batch stands).
    const tabled = new Map(stored.map((p) => [p.proposalId, { proposer: p.proposer, live: new Set(p.liveEvents) }]));
    envelopes.forEach((e, i) => {
      if (e.type === 'ReportRetracted') {
        for (const proposal of tabled.values()) proposal.live.delete(e.data.eventId);
        return;
      }
      if (e.type === 'ProposalMade') {
        const first = tabled.get(e.data.proposalId);
        if (first && first.proposer !== e.data.proposer) {
          throw new Conflict(`proposal ${e.data.proposalId} was tabled by ${first.proposer}; ${e.data.proposer} cannot revise it (give a new proposal an id of its own)`, { proposalId: e.data.proposalId });
        }
        tabled.set(e.data.proposalId, { proposer: first?.proposer ?? e.data.proposer, live: new Set([...(first?.live ?? []), ids[i]]) });
        return;
      }
      for (const proposalId of proposalsNamedBy(e)) {
        if (tabled.get(proposalId)?.live.size === 0) throw new Conflict(`proposal ${proposalId} has been retracted; it can no longer be answered, countered or agreed to`, { proposalId });
      }
    });
  }
}

/** The proposals an event names: the one it makes, answers, counters with or turns into an agreement. */
function proposalsNamedBy(e: Envelope): string[] {
  switch (e.type) {
    case 'ProposalMade':
      return [e.data.proposalId];
    case 'ProposalResponded':
      return [e.data.proposalId, ...(e.data.counterProposalId ? [e.data.counterProposalId] : [])];
    case 'AgreementReached':
      return e.data.proposalId ? [e.data.proposalId] : [];
    default:
      return [];
  }
}


function toRecord(e: Envelope, concerns: Concerns, id: string, recordedBy: string, now: Date): NewStoredEvent {
  const { expectedVersion: _ignored, ...sent } = e;
  return {
    id,
    type: e.type,
    ...occurrenceClocks(e.occurredAt),
    reportedAt: e.reportedAt ? new Date(startOf(e.reportedAt)) : now,
    reportedIsDay: e.reportedAt ? isCalendarDay(e.reportedAt) : false,
    recordedBy,
    data: e.data,
    sources: e.sources,
    metadata: { actors: concerns.actors, issues: concerns.issues },
    fingerprint: fingerprint({ ...sent, id }),
  };
}

/** Stable hash of what the client sent (keys sorted), so a retry with the same body matches. */
export function fingerprint(value: unknown): string {
  return hash('sha256', canonical(value), 'hex');
}

// Built by concatenation rather than map/filter/join: it runs on every append, and the
// intermediate arrays were a visible share of the request's CPU. An undefined array element
// leaves an empty slot, as it always has, so stored fingerprints stay valid.
function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + (canonical(value[i]) ?? '');
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    let out = '{';
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out += `${out.length === 1 ? '' : ','}${JSON.stringify(k)}:${canonical(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}
