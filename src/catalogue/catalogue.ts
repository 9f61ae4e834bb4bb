// The news domain's event catalogue (owns: every event type, the request envelope, the typed
// events the folds receive). Imports nothing of Nest or TypeORM, so folds and tests use it bare.
import { z } from 'zod';
import type { Reference } from './define-event.js';
import { AgreementRatified } from './events/agreement-ratified.js';
import { AgreementReached } from './events/agreement-reached.js';
import { CeasefireEnded } from './events/ceasefire-ended.js';
import { CeasefireStarted } from './events/ceasefire-started.js';
import { CeasefireViolated } from './events/ceasefire-violated.js';
import { DetaineesReleased } from './events/detainees-released.js';
import { MeetingHeld } from './events/meeting-held.js';
import { PressureApplied } from './events/pressure-applied.js';
import { ProposalMade } from './events/proposal-made.js';
import { PositionClaimed } from './events/position-claimed.js';
import { ProposalResponded } from './events/proposal-responded.js';
import { ReportDisputed } from './events/report-disputed.js';
import { ReportRetracted } from './events/report-retracted.js';
import { SourceAdded } from './events/source-added.js';
import { StatementIssued } from './events/statement-issued.js';
import { eventId, instant, occurrence, sources, type Source } from './primitives.js';

export const EVENT_DEFINITIONS = [
  StatementIssued,
  ProposalMade,
  ProposalResponded,
  MeetingHeld,
  PressureApplied,
  AgreementReached,
  AgreementRatified,
  CeasefireStarted,
  CeasefireViolated,
  CeasefireEnded,
  DetaineesReleased,
  PositionClaimed,
  SourceAdded,
  ReportRetracted,
  ReportDisputed,
] as const;

type Definitions = (typeof EVENT_DEFINITIONS)[number];
export type EventType = Definitions['type'];
export const EVENT_TYPES = EVENT_DEFINITIONS.map((d) => d.type) as EventType[];

/** `DataOf<'StatementIssued'>` is the parsed `data` of that type. */
export type DataOf<T extends EventType> = z.output<Extract<Definitions, { type: T }>['data']>;

/**
 * The corrections: events about an earlier event (`data.eventId`) rather than developments of
 * their own. Folds receive them with that event attached (NewsEvent.target).
 */
export const CORRECTION_TYPES = ['SourceAdded', 'ReportRetracted', 'ReportDisputed'] as const satisfies readonly EventType[];
export type CorrectionType = (typeof CORRECTION_TYPES)[number];

export function isCorrection(type: string): type is CorrectionType {
  return (CORRECTION_TYPES as readonly string[]).includes(type);
}

/** The event a correction is about (undefined for a development). */
export function correctionTarget(e: { type: string; data: unknown }): string | undefined {
  return isCorrection(e.type) ? (e.data as { eventId: string }).eventId : undefined;
}

const definitionByType = new Map<string, Definitions>(EVENT_DEFINITIONS.map((d) => [d.type, d]));

const envelopeFields = {
  id: eventId().optional(),
  occurredAt: occurrence(),
  reportedAt: instant().optional(),
  sources: sources(),
  expectedVersion: z.number().int().min(0).optional(),
};

function envelopeOf<D extends Definitions>(definition: D) {
  return z
    .object({ type: z.literal(definition.type), ...envelopeFields, data: definition.data })
    .strict()
    .meta({ id: definition.type, description: definition.description });
}

export const envelopeSchema = z.discriminatedUnion('type', EVENT_DEFINITIONS.map(envelopeOf) as unknown as [ReturnType<typeof envelopeOf<Definitions>>]);
export const batchSchema = z.object({ events: z.array(z.unknown()).min(1).max(1000) }).strict();

export type Envelope = { [T in EventType]: { type: T; id?: string; occurredAt: string; reportedAt?: string; sources: Source[]; expectedVersion?: number; data: DataOf<T> } }[EventType];

export interface FieldError {
  path: string;
  message: string;
}

export type ParseResult = { ok: true; envelope: Envelope } | { ok: false; errors: FieldError[] };

export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), prefix);
}

/** Validates one envelope. Unknown fields are errors, never silently dropped. */
export function parseEnvelope(input: unknown, prefix = ''): ParseResult {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const type = (input as { type?: unknown }).type;
    if (typeof type !== 'string' || !definitionByType.has(type)) {
      return { ok: false, errors: [{ path: formatPath(['type'], prefix), message: `must be one of ${EVENT_TYPES.join(', ')}` }] };
    }
  }
  const result = envelopeSchema.safeParse(input);
  if (result.success) return { ok: true, envelope: result.data as Envelope };
  return { ok: false, errors: fieldErrors(result.error, prefix) };
}

/**
 * A zod error as field errors, each path after `prefix` (`events[1]`); a fault of the whole
 * input is reported at the prefix, or at `(body)` when there is none.
 */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((i) => ({ path: formatPath(pathWithKeys(i), prefix) || '(body)', message: i.message }));
}

function pathWithKeys(issue: z.core.$ZodIssue): PropertyKey[] {
  // An unknown field is reported on its parent; blame the field itself.
  if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) return [...issue.path, issue.keys[0]];
  return issue.path;
}

export function referencesOf(envelope: Envelope): Reference[] {
  const definition = definitionByType.get(envelope.type)!;
  return (definition.references as (d: unknown) => Reference[])(envelope.data).map((r) => ({ ...r, path: ['data', ...r.path] }));
}
