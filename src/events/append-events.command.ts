// Recording developments: validate envelopes, check what they reference, append all or none.
import { hash, randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { correctionTarget, formatPath, isCorrection, parseEnvelope, referencesOf, type Envelope, type FieldError } from '../catalogue/catalogue.js';
import type { Reference } from '../catalogue/define-event.js';
import { isCalendarDay, occurrenceClocks, startOf } from '../catalogue/primitives.js';
import { EventStore, IdempotencyConflict, WrongExpectedVersion, type NewStoredEvent, type StoredEvent } from '../event-store/event-store.js';
import { ALREADY_RETRACTED } from '../database/migrations/1764000000003-integrity.js';
import { Conflict, InvalidInput } from '../http/problems.js';
import { RegistryService } from '../registry/registry.service.js';

export interface AppendResult {
  /** false when every event was already stored with the same body (an idempotent retry). */
  created: boolean;
  events: StoredEvent[];
}

export class AppendEvents extends Command<AppendResult> {
  constructor(
    readonly inputs: unknown[],
    readonly recordedBy: string,
    readonly expectedVersion: number | undefined,
    /** Field-path prefix for errors: '' for one event, 'events' for a batch. */
    readonly pathPrefix: string,
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

  async execute(command: AppendEvents): Promise<AppendResult> {
    const batch = command.pathPrefix !== '';
    const at = (i: number) => (batch ? `${command.pathPrefix}[${i}]` : '');
    const errors: FieldError[] = [];
    const envelopes: Envelope[] = [];
    command.inputs.forEach((input, i) => {
      const parsed = parseEnvelope(input, at(i));
      if (parsed.ok) envelopes.push(parsed.envelope);
      else errors.push(...parsed.errors);
      if (parsed.ok && batch && parsed.envelope.expectedVersion !== undefined) {
        errors.push({ path: formatPath(['expectedVersion'], at(i)), message: 'set expectedVersion on the batch, not on its events' });
      }
    });
    if (errors.length) throw new InvalidInput(errors);

    const ids = envelopes.map((e) => e.id ?? randomUUID());
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) errors.push({ path: formatPath(['id'], at(i)), message: `id ${id} appears twice in the batch` });
    });
    const refs = envelopes.map(referencesOf);
    errors.push(...(await this.checkReferences(envelopes, refs, ids, at)));
    if (errors.length) throw new InvalidInput(errors, 'The request refers to something that does not exist; see errors.');
    await this.checkCorrections(envelopes, ids, at);
    await this.checkProposals(envelopes);

    const now = new Date();
    const records = envelopes.map((e, i) => toRecord(e, refs[i], ids[i], command.recordedBy, now));
    try {
      const outcome = await this.store.append(records, command.expectedVersion);
      return { created: outcome.kind === 'appended', events: outcome.events };
    } catch (error) {
      if (error instanceof WrongExpectedVersion) {
        throw new Conflict(error.message, { expectedVersion: error.expected, currentPosition: error.current });
      }
      if (error instanceof IdempotencyConflict) throw new Conflict(error.message, { ids: error.ids });
      // Two retractions of one event racing each other: PostgreSQL lets the first through.
      if ((error as { code?: string }).code === ALREADY_RETRACTED) throw new Conflict((error as Error).message);
      throw error;
    }
  }

  private async checkReferences(envelopes: Envelope[], refsOf: Reference[][], ids: string[], at: (i: number) => string): Promise<FieldError[]> {
    // What each event of the batch defines, so that later events in it may refer to it.
    const defined = new Map<string, number>();
    envelopes.forEach((e, i) => {
      defined.set(`event:${ids[i]}`, i);
      if (e.type === 'ProposalMade' && !defined.has(`proposal:${e.data.proposalId}`)) defined.set(`proposal:${e.data.proposalId}`, i);
      if (e.type === 'AgreementReached' && !defined.has(`agreement:${e.data.agreementId}`)) defined.set(`agreement:${e.data.agreementId}`, i);
    });
    const refs = refsOf.flatMap((own, i) => own.map((r) => ({ ...r, path: [at(i), ...r.path].filter((p) => p !== ''), index: i })));
    return this.registry.unresolved(refs, (r) => (defined.get(`${r.kind}:${r.id}`) ?? Infinity) < r.index);
  }

  /**
   * A retraction may not be retracted, nor an event retracted twice (409); a source is added to,
   * and a dispute raised against, a development only, not a correction (400); a report already
   * retracted cannot be disputed (409).
   */
  private async checkCorrections(envelopes: Envelope[], ids: string[], at: (i: number) => string): Promise<void> {
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
        errors.push({ path: formatPath(['data', 'eventId'], at(i)), message: `event ${e.data.eventId} is a ${targetType}; ${what}` });
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
   * A proposal belongs to whoever first tabled it: a ProposalMade with its id by anyone else is
   * not a revision (409). A proposal whose every ProposalMade is retracted is off the record:
   * nothing may answer, counter or agree to it (409).
   */
  private async checkProposals(envelopes: Envelope[]): Promise<void> {
    const named = new Set(envelopes.flatMap(proposalsNamedBy));
    if (named.size === 0) return;
    const stored = await this.registry.proposalsOnRecord([...named]);
    const retractedHere = new Set(envelopes.flatMap((e) => (e.type === 'ReportRetracted' ? [e.data.eventId] : [])));
    const tabled = new Map(stored.map((p) => [p.proposalId, { proposer: p.proposer, live: p.liveEvents.some((id) => !retractedHere.has(id)) }]));
    for (const e of envelopes) {
      if (e.type === 'ProposalMade') {
        const first = tabled.get(e.data.proposalId);
        if (first && first.proposer !== e.data.proposer) {
          throw new Conflict(`proposal ${e.data.proposalId} was tabled by ${first.proposer}; ${e.data.proposer} cannot revise it (give a new proposal an id of its own)`, { proposalId: e.data.proposalId });
        }
        tabled.set(e.data.proposalId, { proposer: e.data.proposer, live: true });
        continue;
      }
      for (const proposalId of proposalsNamedBy(e)) {
        if (tabled.get(proposalId)?.live === false) throw new Conflict(`proposal ${proposalId} has been retracted; it can no longer be answered, countered or agreed to`, { proposalId });
      }
    }
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


function toRecord(e: Envelope, refs: Reference[], id: string, recordedBy: string, now: Date): NewStoredEvent {
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
    metadata: {
      actors: [...new Set(refs.filter((r) => r.kind === 'actor').map((r) => r.id))],
      issues: [...new Set(refs.filter((r) => r.kind === 'issue').map((r) => r.id))],
    },
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
