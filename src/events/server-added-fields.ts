// The fields a stored event carries beyond the envelope its sender posted (see
// event-representation.ts): what `npm run import` leaves out when it reads an export back.
// Imports nothing at run time, so the import script can take it without the server.
import type { EventRepresentation } from './event-representation.js';

type SentField = 'id' | 'type' | 'occurredAt' | 'reportedAt' | 'sources' | 'data';
type AddedField = Exclude<keyof EventRepresentation, SentField>;

/** Every added field once: a field added to EventRepresentation and not here fails to compile. */
const ADDED = { position: true, recordedAt: true, recordedBy: true, confidence: true, retracted: true, retractedBy: true, addedSources: true, disputes: true } satisfies Record<AddedField, true>;

export const SERVER_ADDED_FIELDS = Object.keys(ADDED) as readonly AddedField[];
