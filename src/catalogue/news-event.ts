// The typed event the folds receive: the stored envelope with its clocks as sort keys.
import type { CorrectionType, DataOf, EventType } from './catalogue.js';
import type { Source } from './primitives.js';

/** When something became true (occurred) and when it became known (reported), as epoch ms. */
export interface Stamp {
  occurred: number;
  reported: number;
  position: number;
}

interface Base<T extends EventType> {
  id: string;
  type: T;
  position: number;
  occurredAt: string;
  reportedAt: string;
  recordedAt: string;
  recordedBy: string;
  sources: Source[];
  stamp: Stamp;
  data: DataOf<T>;
}

/** Corrections (SourceAdded, ReportRetracted, ReportDisputed) arrive with the event they are about, so folds stay pure. */
export type NewsEvent =
  | { [T in Exclude<EventType, CorrectionType>]: Base<T> }[Exclude<EventType, CorrectionType>]
  | (Base<'SourceAdded'> & { target: TargetEvent })
  | (Base<'ReportRetracted'> & { target: TargetEvent })
  | (Base<'ReportDisputed'> & { target: TargetEvent });

export type DomainEvent = Exclude<NewsEvent, { type: CorrectionType }>;
export type Correction = Extract<NewsEvent, { type: CorrectionType }>;
export type TargetEvent = DomainEvent | Exclude<NewsEvent, DomainEvent>;

export function assertNever(value: never): never {
  throw new Error(`unhandled event ${JSON.stringify(value)}`);
}
