// Which actors and issues an event concerns (owns: that one rule, for positions, the timeline,
// the stream and GET /events?actor= alike). An event concerns the actors it names as taking
// part, and the issues named in its data (stances, topics, `issue`), those its terms touch, and
// for an answer its proposal's issues; a correction concerns what its target concerns.
import type { CorrectionType, DataOf, EventType } from './catalogue.js';
import { assertNever } from './news-event.js';
import { issuesTouchedBy } from './primitives.js';

/** A development as the rule needs it: its type and data, stored or in flight. */
export type Development = { [T in Exclude<EventType, CorrectionType>]: { type: T; data: DataOf<T> } }[Exclude<EventType, CorrectionType>];

export interface Concerns {
  actors: string[];
  issues: string[];
}

/** The actors a development concerns: each gets an entry in positions and lists it in the timeline. */
export function actorsConcerned(event: Development): string[] {
  switch (event.type) {
    case 'StatementIssued':
      return [event.data.actor];
    case 'PositionClaimed':
      return unique([event.data.claimant, ...event.data.about]);
    case 'ProposalMade':
      return unique([event.data.proposer, ...(event.data.mediators ?? []), ...(event.data.addressedTo ?? [])]);
    case 'ProposalResponded':
      return [event.data.responder];
    case 'MeetingHeld':
      return unique([...event.data.participants.map((p) => p.actor), ...(event.data.host ? [event.data.host] : [])]);
    case 'PressureApplied':
      return unique([event.data.by, ...event.data.on]);
    case 'AgreementReached':
      // The actors this posting names: a later posting that leaves the parties out concerns only whom it names.
      return unique([...(event.data.parties ?? []), ...(event.data.mediators ?? []), ...(event.data.guarantors ?? [])]);
    case 'AgreementRatified':
    case 'DetaineesReleased':
      return [event.data.by];
    case 'CeasefireViolated':
      return event.data.by ? [event.data.by] : [];
    case 'CeasefireStarted':
    case 'CeasefireEnded':
      return [];
    default:
      return assertNever(event);
  }
}

/**
 * The issues a development concerns.
 * @param proposalIssues for an answer: the issues of the proposal it answers (every version's terms)
 */
export function issuesConcerned(event: Development, proposalIssues: readonly string[] = []): string[] {
  switch (event.type) {
    case 'StatementIssued':
    case 'PositionClaimed':
      return unique(event.data.stances.map((s) => s.issue));
    case 'MeetingHeld':
      return unique(event.data.topics ?? []);
    case 'PressureApplied':
      return [event.data.issue];
    case 'ProposalMade':
      return issuesTouchedBy(event.data.terms);
    case 'AgreementReached':
      return unique([...(event.data.terms ? issuesTouchedBy(event.data.terms) : []), ...(event.data.phases ?? []).flatMap((p) => (p.terms ? issuesTouchedBy(p.terms) : []))]);
    case 'ProposalResponded':
      return unique([...proposalIssues, ...(event.data.stances ?? []).map((s) => s.issue), ...(event.data.terms ? issuesTouchedBy(event.data.terms) : [])]);
    case 'CeasefireStarted':
    case 'CeasefireEnded':
    case 'CeasefireViolated':
    case 'DetaineesReleased':
    case 'AgreementRatified':
      return [];
    default:
      return assertNever(event);
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
