// What the API answers, as zod schemas (owns: the OpenAPI components of every response body).
// They describe; they validate nothing at run time. The answers are shaped by the views'
// TypeScript types (positions.view.ts, proposals.view.ts, …) and by the catalogue's event
// definitions; each schema below is checked at compile time against the type it describes (the
// `same<…>()` lines at the end), so neither can change without the other. The catalogue's own
// schemas (terms, sources, stances, phases, each event type's data) are reused, not restated.
import type { QueryResult } from '@nestjs/cqrs';
import { z } from 'zod';
import { EVENT_DEFINITIONS, type FieldError } from '../catalogue/catalogue.js';
import type { Confidence } from '../catalogue/confidence.js';
import { phase } from '../catalogue/events/agreement-reached.js';
import { source, stance, stanceOnIssue, terms } from '../catalogue/primitives.js';
import type { EventRepresentation } from '../events/event-representation.js';
import type { GetEvents } from '../events/read-events.query.js';
import type { AgreementView } from '../projections/agreements/agreements.view.js';
import type { ProjectionState } from '../projections/projector/doc-store.js';
import type { PositionsReader } from '../projections/positions/positions.reader.js';
import type { ActorPosition as ActorPositionType, ClaimCell, StanceCell } from '../projections/positions/positions.view.js';
import type { StanceChange as StanceChangeType } from '../projections/positions/stance-history.js';
import type { ProposalsReader } from '../projections/proposals/proposals.reader.js';
import type { StatusReader } from '../projections/status/status.reader.js';
import type { TimelineReader } from '../projections/timeline/timeline.reader.js';
import type { TimelineEntry as TimelineEntryType } from '../projections/timeline/timeline.view.js';
import type { ViewParams } from '../projections/view-params.js';
import type { Actor as ActorType, Issue as IssueType } from '../registry/registry.service.js';
import type { HealthController } from './health.controller.js';
import type { AdminController } from '../projections/admin/admin.controller.js';

const int = () => z.number().int();
const position = () => int().min(0);
const ids = () => z.array(z.string());

/** The asOf / knownAt a read was asked with, answered back as sent. */
const echo = {
  asOf: z.string().optional().describe('The `asOf` asked for, as sent (absent: now)'),
  knownAt: z.string().optional().describe('The `knownAt` asked for, as sent (absent: now)'),
};
const checkpoint = () => position().describe('The log position the answer reflects');

// ---- Errors -------------------------------------------------------------------------------

const FieldErrorSchema = z.object({
  path: z.string().describe('The field at fault, as the request names it: `data.stances[0].issue`, `events[1].occurredAt`, a query parameter, or `(body)`'),
  message: z.string(),
});

const ProblemSchema = z
  .object({
    type: z.string().describe('`about:blank`: the status and title say what went wrong'),
    title: z.string(),
    status: int().min(400).max(599),
    detail: z.string(),
    instance: z.string().describe('The path of the request, without its query'),
    errors: z.array(FieldErrorSchema).optional().describe('400: each field at fault'),
    expectedVersion: position().optional().describe('409 on a stale `expectedVersion`: the one sent'),
    currentPosition: position().optional().describe('409 on a stale `expectedVersion`: the position of the log now'),
    ids: ids().optional().describe('409 on an idempotency conflict: the ids stored already with a different body'),
  })
  .describe('An error, as application/problem+json (RFC 9457)');

// ---- Shared parts -------------------------------------------------------------------------

const ConfidenceSchema = z
  .enum(['confirmed', 'reported', 'unconfirmed', 'disputed'])
  .describe('`confirmed` (an official source, or two outlets), `reported` (a named source), `unconfirmed` (anonymous only); `disputed` while a ReportDisputed stands');
const SourceSchema = source;
const TermsSchema = terms;

// ---- Positions ----------------------------------------------------------------------------

const StanceCellSchema = z.object({
  stance,
  terms: TermsSchema.optional(),
  conditions: ids().optional(),
  on: ids().optional().describe('The actors a demand is made of (PressureApplied)'),
  summary: z.string(),
  since: z.string().describe('When the current stance was first taken (its occurredAt, as sent)'),
  confidence: ConfidenceSchema,
  evidence: ids().describe('The events the stance rests on, newest first (the latest `limit`)'),
  evidenceTotal: int().optional().describe('Present when `evidence` was cut to `limit`: how many there are'),
});

const ClaimCellSchema = z.object({
  by: z.string().describe('The claimant'),
  stance,
  terms: TermsSchema.optional(),
  conditions: ids().optional(),
  summary: z.string(),
  since: z.string(),
  confidence: ConfidenceSchema,
  evidence: ids(),
});

const ActorPositionSchema = z.object({
  actor: z.string(),
  name: z.string(),
  role: z.string(),
  stances: z.record(z.string(), StanceCellSchema).describe('By issue'),
  claims: z.record(z.string(), z.array(ClaimCellSchema)).describe("By issue: each claimant's latest claim about this actor (never its own stance)"),
  proposals: z.array(z.object({ proposalId: z.string(), role: z.string(), status: z.string().nullable() })),
  agreements: z.array(z.object({ agreementId: z.string(), role: z.string(), status: z.string() })),
  meetings: z.array(
    z.object({
      eventId: z.string(),
      meetingId: z.string().optional(),
      occurredAt: z.string(),
      with: ids(),
      host: z.string().optional(),
      mediators: ids(),
      location: z.object({ city: z.string().optional(), country: z.string() }),
      tone: z.string().optional(),
      format: z.enum(['direct', 'indirect']),
      summary: z.string(),
    }),
  ),
  pressure: z.object({
    applied: z.array(z.object({ eventId: z.string(), occurredAt: z.string(), on: ids(), issue: z.string(), demand: z.string(), deadline: z.string().optional() })),
    received: z.array(z.object({ eventId: z.string(), occurredAt: z.string(), by: z.string(), issue: z.string(), demand: z.string(), deadline: z.string().optional() })),
  }),
  lastEventAt: z.string().nullable(),
  position: checkpoint(),
  totals: z
    .object({ proposals: int(), agreements: int(), meetings: int(), applied: int(), received: int() })
    .optional()
    .describe('How many of each list there are in this view (the lists hold the latest `limit`); only with `totals=true`, since counting reads the whole view'),
});

const PositionsSchema = z.object({ ...echo, position: checkpoint(), actors: z.array(ActorPositionSchema) });

const StanceChangeSchema = z.object({
  eventId: z.string(),
  type: z.string(),
  position: position(),
  occurredAt: z.string(),
  reportedAt: z.string(),
  stance,
  summary: z.string(),
  terms: TermsSchema.optional(),
  conditions: ids().optional(),
  on: ids().optional(),
  confidence: ConfidenceSchema,
  sources: z.array(SourceSchema),
  retracted: z.boolean().describe('Retracted as known in this view: kept in history, no longer counting'),
  changed: z.boolean().describe('This claim changed the stance (the first one, or a different stance from the one before)'),
  claimedBy: z.string().optional().describe('Present on what another actor said of this one (PositionClaimed)'),
});

const StanceHistorySchema = z.object({ actor: z.string(), issue: z.string(), changes: z.array(StanceChangeSchema) });

// ---- Proposals ----------------------------------------------------------------------------

const ProposalSchema = z.object({
  proposalId: z.string(),
  proposer: z.string(),
  mediators: ids(),
  addressedTo: ids(),
  terms: TermsSchema,
  summary: z.string(),
  status: z.string().describe('`drafted`, `tabled`, or the answer that decides it: `accepted`, `rejected`, `countered`, `considering`'),
  proposedAt: z.string(),
  confidence: ConfidenceSchema,
  agreementId: z.string().optional(),
  evidence: ids(),
  responses: z.array(
    z.object({
      eventId: z.string(),
      occurredAt: z.string(),
      responder: z.string(),
      response: z.string(),
      counterProposalId: z.string().optional(),
      conditions: ids().optional(),
      terms: TermsSchema.optional(),
      stances: z.array(stanceOnIssue).optional(),
      summary: z.string(),
      confidence: ConfidenceSchema,
    }),
  ),
  answers: z.record(z.string(), z.object({ response: z.string(), eventId: z.string(), occurredAt: z.string() })).describe("By responder: each one's latest answer in view"),
  awaiting: ids().describe('The addressees with no answer in view since the latest revision'),
});

const ProposalsSchema = z.object({ ...echo, position: checkpoint(), proposals: z.array(ProposalSchema) });

// ---- Agreements ---------------------------------------------------------------------------

const agreementStatus = z.enum(['announced', 'signed']);

const AgreementSchema = z.object({
  agreementId: z.string(),
  parties: ids(),
  mediators: ids(),
  guarantors: ids(),
  proposalId: z.string().optional(),
  terms: TermsSchema,
  phases: z.array(phase),
  status: agreementStatus,
  summary: z.string(),
  ratifiedBy: ids(),
  currentPhase: int().optional().describe('The phase of the ceasefire in effect under this agreement, if any'),
  ceasefire: z.object({ inEffect: z.boolean(), since: z.string().optional(), phase: int().optional() }),
  evidence: ids().describe('The postings and ratifications in view, newest first'),
  versions: z.array(z.object({ eventId: z.string(), occurredAt: z.string(), status: agreementStatus })),
});

const AgreementsSchema = z.object({ ...echo, position: checkpoint(), agreements: z.array(AgreementSchema) });

// ---- Timeline and status ------------------------------------------------------------------

const TimelineEntrySchema = z.object({
  eventId: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  reportedAt: z.string(),
  position: position(),
  actors: ids(),
  issues: ids(),
  summary: z.string(),
  format: z.enum(['direct', 'indirect']).optional(),
  confidence: ConfidenceSchema,
  sources: z.array(SourceSchema),
});

const TimelineSchema = z.object({ ...echo, position: checkpoint(), events: z.array(TimelineEntrySchema) });

const StatusSchema = z.object({
  ...echo,
  position: checkpoint(),
  ceasefire: z.object({
    inEffect: z.boolean(),
    since: z.string().nullable(),
    agreementId: z.string().optional(),
    kind: z.enum(['agreed', 'de-facto', 'unilateral']).optional(),
    phase: int().optional(),
    summary: z.string().optional(),
    eventId: z.string().optional(),
    violations: z
      .array(z.object({ eventId: z.string(), occurredAt: z.string(), by: z.string().optional(), agreementId: z.string().optional(), summary: z.string() }))
      .describe('Violations reported since the ceasefire in effect began'),
  }),
  detaineesReleased: z.record(z.string(), int()).describe('By actor: how many it released'),
  deceasedReleased: z.record(z.string(), int()).describe('By actor: how many of those were remains'),
  releases: z.array(z.object({ eventId: z.string(), occurredAt: z.string(), by: z.string(), count: int(), deceased: int().optional(), categories: ids().optional() })),
});

// ---- Events -------------------------------------------------------------------------------

/** What the server shows of every stored event beside its `type` and `data`. */
const storedEventFields = {
  id: z.string().describe('The event id (a UUID)'),
  position: int().min(1).describe('Its place in the log'),
  occurredAt: z.string().describe('As sent: a date, a date-time, an interval `A/B` or an upper bound `../B`'),
  reportedAt: z.string(),
  recordedAt: z.string().describe('When this server stored it (a UTC date-time)'),
  recordedBy: z.string().describe('The name of the API key that appended it'),
  sources: z.array(SourceSchema),
  confidence: ConfidenceSchema,
  retracted: z.boolean(),
  retractedBy: z.string().optional().describe('The ReportRetracted that withdrew it'),
  addedSources: z.array(z.object({ eventId: z.string(), source: SourceSchema })).optional().describe('Corroborations (SourceAdded) in force'),
  disputes: z
    .array(z.object({ eventId: z.string(), by: z.string().optional(), reason: z.string(), reportedAt: z.string() }))
    .optional()
    .describe('Disputes standing against this report (retracted ones left out)'),
};

/** One stored event of each type, its `data` the catalogue's definition of that type. */
const storedEventVariants = EVENT_DEFINITIONS.map((d) => [`Stored${d.type}`, z.object({ type: z.literal(d.type), ...storedEventFields, data: d.data }).describe(d.description)] as const);

const StoredEventSchema = z.union(storedEventVariants.map(([, schema]) => schema) as unknown as [z.ZodType, ...z.ZodType[]]).describe('A stored event: the envelope as sent, with what the server adds');

const EventsPageSchema = z.object({ events: z.array(StoredEventSchema), next: position().describe('Pass it as `after` for the following page') });
const AppendedSchema = z.object({ events: z.array(StoredEventSchema) });

// ---- Registries, health, admin ------------------------------------------------------------

const ActorSchema = z.object({ slug: z.string(), name: z.string(), role: z.enum(['party', 'mediator']), builtin: z.boolean() });
const IssueSchema = z.object({ slug: z.string(), name: z.string(), description: z.string().nullable(), builtin: z.boolean() });
const ActorsSchema = z.object({ actors: z.array(ActorSchema) });
const IssuesSchema = z.object({ issues: z.array(IssueSchema) });

const quarantinedSchema = z
  .array(z.object({ eventId: z.string(), position: position(), projections: ids(), reason: z.string() }))
  .describe('Events accepted but impossible to fold, set aside');

const projectorHealth = {
  leader: z.boolean().describe('This server runs the projector'),
  checkpoint: position(),
  head: position(),
  stalled: ids().optional().describe('Projections behind the log without progress for PROJECTOR_STALL_MS'),
};

const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']).describe('`degraded` (still ready) while events are quarantined'),
  live: z.boolean(),
  ready: z.boolean(),
  database: z.enum(['up', 'down']),
  projector: z.object({ ...projectorHealth, quarantined: quarantinedSchema }).optional().describe('Absent while the database is down'),
});

const LivenessSchema = z.object({ status: z.enum(['ok']) });

const ReadinessSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  ready: z.boolean(),
  database: z.enum(['up', 'down']),
  projector: z.object(projectorHealth).optional().describe('Absent while the database is down'),
});

const ProjectionStatesSchema = z.object({
  head: position(),
  projections: z.array(
    z.object({
      projection: z.string(),
      version: int().describe('The fold version'),
      generation: int().describe('The generation being written'),
      checkpoint: position(),
      activeGeneration: int().describe('The generation readers use'),
      activeCheckpoint: position(),
      rebuilding: z.boolean(),
    }),
  ),
  quarantined: quarantinedSchema,
});

const RebuildSchema = z.object({ status: z.enum(['rebuilding']), projections: z.array(z.object({ projection: z.string(), generation: int() })) });

// ---- The components -----------------------------------------------------------------------

/** Every response body, by the component name the OpenAPI document gives it. */
export const ANSWERS = {
  Problem: ProblemSchema,
  FieldError: FieldErrorSchema,
  Confidence: ConfidenceSchema,
  Source: SourceSchema,
  Terms: TermsSchema,
  StanceCell: StanceCellSchema,
  ClaimCell: ClaimCellSchema,
  ActorPosition: ActorPositionSchema,
  Positions: PositionsSchema,
  StanceChange: StanceChangeSchema,
  StanceHistory: StanceHistorySchema,
  Proposal: ProposalSchema,
  Proposals: ProposalsSchema,
  Agreement: AgreementSchema,
  Agreements: AgreementsSchema,
  TimelineEntry: TimelineEntrySchema,
  Timeline: TimelineSchema,
  Status: StatusSchema,
  ...(Object.fromEntries(storedEventVariants) as unknown as Record<`Stored${(typeof EVENT_DEFINITIONS)[number]['type']}`, z.ZodType>),
  StoredEvent: StoredEventSchema,
  EventsPage: EventsPageSchema,
  Appended: AppendedSchema,
  Actor: ActorSchema,
  Issue: IssueSchema,
  Actors: ActorsSchema,
  Issues: IssuesSchema,
  Health: HealthSchema,
  Liveness: LivenessSchema,
  Readiness: ReadinessSchema,
  ProjectionStates: ProjectionStatesSchema,
  Rebuild: RebuildSchema,
} as const;

export type AnswerName = keyof typeof ANSWERS;

/**
 * The answers as OpenAPI 3.0 components: output JSON Schemas (what the server sends), each
 * named part referred to by `$ref` wherever it recurs.
 */
export function answerComponents(): Record<string, object> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(ANSWERS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: 'openapi-3.0', io: 'output', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  // `$id` is JSON Schema's, not OpenAPI 3.0's: the component's name is its identity there.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $id: _, ...schema }]) => [id, unwrapLoneAllOf(schema) as object]));
}

/** `{ allOf: [X] }` with nothing beside it is X (zod wraps an optional named part so). */
function unwrapLoneAllOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(unwrapLoneAllOf);
  if (node === null || typeof node !== 'object') return node;
  const entries = Object.entries(node);
  if (entries.length === 1 && entries[0][0] === 'allOf' && Array.isArray(entries[0][1]) && entries[0][1].length === 1) return unwrapLoneAllOf(entries[0][1][0]);
  return Object.fromEntries(entries.map(([k, v]) => [k, unwrapLoneAllOf(v)]));
}

// ---- Compile-time checks: each schema is exactly the type the server answers with ----------

/** true when A and B are the same type (optional and required fields told apart). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Intersections and named types spelt out, so that equal shapes compare equal. */
type Deep<T> = T extends object ? { [K in keyof T]: Deep<T[K]> } : T;
/** Fails to compile ("Type 'false' does not satisfy the constraint 'true'") when the schema and the type differ. */
const same = <_ extends true>() => undefined;
type Out<S extends z.ZodType> = Deep<z.output<S>>;
/** What a reader's method answers. */
type Answered<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;
/** Literal types widened: a handler's inferred return type says `string` where the schema names the values. */
type Widen<T> = T extends string ? string : T extends boolean ? boolean : T extends object ? { [K in keyof T]: Widen<T[K]> } : T;
/** For answers typed only by a handler's inferred return: each assignable to the other, literals widened. */
type Fits<S, T> = [T] extends [S] ? ([S] extends [T] ? true : false) : false;

/** StanceChange types `terms` as unknown and `stance` as string: they are a claim's, which the schema says. */
type StanceChangeAnswer = Omit<StanceChangeType, 'terms' | 'stance'> & { terms?: z.output<typeof terms>; stance: z.output<typeof stance> };

same<Equal<Out<typeof FieldErrorSchema>, Deep<FieldError>>>();
same<Equal<Out<typeof ConfidenceSchema>, Confidence>>();
same<Equal<Out<typeof StanceCellSchema>, Deep<StanceCell>>>();
same<Equal<Out<typeof ClaimCellSchema>, Deep<ClaimCell>>>();
same<Equal<Out<typeof ActorPositionSchema>, Deep<ActorPositionType>>>();
same<Equal<Out<typeof PositionsSchema>, Deep<ViewParams & { position: number; actors: ActorPositionType[] }>>>();
same<Equal<Out<typeof StanceChangeSchema>, Deep<StanceChangeAnswer>>>();
same<Equal<Out<typeof StanceHistorySchema>, Deep<Omit<Answered<PositionsReader['history']>, 'changes'> & { changes: StanceChangeAnswer[] }>>>();
same<Equal<Out<typeof ProposalSchema>, Deep<Answered<ProposalsReader['proposal']>>>>();
same<Equal<Out<typeof ProposalsSchema>, Deep<ViewParams & Answered<ProposalsReader['proposals']>>>>();
same<Equal<Out<typeof AgreementSchema>, Deep<AgreementView>>>();
same<Equal<Out<typeof AgreementsSchema>, Deep<ViewParams & { position: number; agreements: AgreementView[] }>>>();
same<Equal<Out<typeof TimelineEntrySchema>, Deep<TimelineEntryType>>>();
same<Equal<Out<typeof TimelineSchema>, Deep<ViewParams & Answered<TimelineReader['timeline']>>>>();
same<Equal<Out<typeof StatusSchema>, Deep<ViewParams & Answered<StatusReader['status']>>>>();
// A stored event's `type` and `data` are typed per event type (each a catalogue definition); the rest is EventRepresentation's.
same<Equal<Out<z.ZodObject<typeof storedEventFields>>, Deep<Omit<EventRepresentation, 'type' | 'data'>>>>();
same<Equal<keyof z.output<typeof EventsPageSchema>, Exclude<keyof QueryResult<GetEvents>, 'until'>>>();
same<Equal<Out<typeof ActorSchema>, Deep<ActorType>>>();
same<Equal<Out<typeof IssueSchema>, Deep<IssueType>>>();
same<Fits<Widen<Out<typeof HealthSchema>>, Deep<Awaited<ReturnType<HealthController['health']>>>>>();
same<Fits<Widen<Out<typeof LivenessSchema>>, Deep<ReturnType<HealthController['live']>>>>();
same<Fits<Widen<Out<typeof ReadinessSchema>>, Deep<Awaited<ReturnType<HealthController['ready']>>>>>();
same<Equal<Out<typeof ProjectionStatesSchema>['projections'][number], Deep<ProjectionState & { rebuilding: boolean }>>>();
same<Fits<Widen<Out<typeof ProjectionStatesSchema>>, Deep<Awaited<ReturnType<AdminController['states']>>>>>();
same<Fits<Widen<Out<typeof RebuildSchema>>, Deep<Awaited<ReturnType<AdminController['rebuild']>>>>>();
