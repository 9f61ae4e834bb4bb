// The typed event the folds receive: the stored envelope with its clocks as sort keys.
import type { DataOf, EventType } from './catalogue.js';
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

/** SourceAdded and ReportRetracted arrive with the event they are about, so folds stay pure. */
export type NewsEvent =
  | { [T in Exclude<EventType, 'SourceAdded' | 'ReportRetracted'>]: Base<T> }[Exclude<EventType, 'SourceAdded' | 'ReportRetracted'>]
  | (Base<'SourceAdded'> & { target: TargetEvent })
  | (Base<'ReportRetracted'> & { target: TargetEvent });

export type DomainEvent = Exclude<NewsEvent, { type: 'SourceAdded' | 'ReportRetracted' }>;
export type TargetEvent = DomainEvent | Exclude<NewsEvent, DomainEvent>;

export function assertNever(value: never): never {
  throw new Error(`unhandled event ${JSON.stringify(value)}`);
}
