// What every projection is: a pure fold over keyed documents. `evolve` reads the documents it
// needs and returns only the ones the event changed, so the same function drives the live
// projector, a rebuild and a unit test (`replay`) with no framework and no database. Documents
// are small (one per event and actor, per proposal, ...), so applying an event costs the same
// however long the history is.
import type { NewsEvent } from '../catalogue/news-event.js';
import type { StoredEnvelope } from '../event-store/event-store.js';

export interface DocReader<D> {
  get(key: string): D | undefined;
}

/**
 * The documents an event changed, by key. A Map, not an object: keys hold event ids, and an
 * object given a new property name per event makes V8 build a new hidden class each time.
 */
export type Changes<D> = Map<string, D>;

/**
 * A row a reader finds a document by (see the projection_facets migration): the document's
 * `group` (an actor) and `facet` (what it feeds: a stance cell, a list), and its clocks.
 */
export interface Facet {
  group: string;
  facet: string;
  occurred: number;
  position: number;
  reported: number;
  /** The clocks of the document's first retraction, if any (a second is refused at append). */
  retracted: { occurred: number; reported: number } | null;
}

/** What folding documents again from the log reads of it (the event store, or a standby's). */
export interface LogByIds {
  getEnvelopesByIds(ids: string[]): Promise<StoredEnvelope[]>;
  /** SourceAdded, ReportRetracted and ReportDisputed about any of `ids`, up to `upTo`, in log order. */
  correctionsOf(ids: string[], upTo: number): Promise<StoredEnvelope[]>;
  /** The ProposalMade versions of the proposals named, up to `upTo`, in log order. */
  proposalVersions(proposalIds: string[], upTo: number): Promise<StoredEnvelope[]>;
}

export interface Projection<D> {
  name: string;
  /** Bump when the fold changes: the server then rebuilds this projection at start-up. */
  version: number;
  /**
   * The keys `evolve` may read for this event: the projector loads them beforehand. They are
   * also the only existing keys it may change; any other key it returns must be new (the
   * projector inserts those without looking, see DocStore.copyNew).
   */
  reads(event: NewsEvent): string[];
  evolve(docs: DocReader<D>, event: NewsEvent): Changes<D>;
  /**
   * The facet rows of a document, if readers find this projection's documents by facet. Of a
   * document already written, only the retraction may change (corrections never add facets).
   */
  facets?(key: string, doc: D): Facet[];
  /**
   * Documents not stored, only their facets: each is exactly what the fold makes of a few
   * events, so whoever needs one (the projector for a correction, a reader for an answer) folds
   * it again from those events (positions' and timeline entries; see derived-from-log.ts).
   * `fromLog` gives them as the fold had them at position `upTo`.
   */
  derived?: { has(key: string): boolean; fromLog(log: LogByIds, keys: string[], upTo: number): Promise<Map<string, D>> };
}

/** Folds a history from scratch into a map of documents. */
export function replay<D>(projection: Projection<D>, events: Iterable<NewsEvent>, start = new Map<string, D>()): Map<string, D> {
  const docs = new Map(start);
  for (const event of events) {
    for (const [key, doc] of projection.evolve(docs, event)) docs.set(key, doc);
  }
  return docs;
}
