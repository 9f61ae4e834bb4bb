// One definition per event type: its stored name, its data schema and the references it makes.
// Validation, OpenAPI and the folds' input types all derive from this; nothing lists fields twice.
import { z } from 'zod';

/** What an event points at, with the field path to blame when it does not exist. */
export type Reference =
  | { kind: 'actor' | 'issue'; id: string; path: (string | number)[] }
  | { kind: 'proposal' | 'agreement' | 'event'; id: string; path: (string | number)[] };

export interface EventDefinition<T extends string, S extends z.ZodObject> {
  type: T;
  description: string;
  data: S;
  references(data: z.infer<S>): Reference[];
}

export function defineEvent<T extends string, S extends z.ZodObject>(definition: EventDefinition<T, S>): EventDefinition<T, S> {
  return definition;
}

export const ref = {
  actor: (path: (string | number)[], id: string): Reference => ({ kind: 'actor', id, path }),
  issue: (path: (string | number)[], id: string): Reference => ({ kind: 'issue', id, path }),
  proposal: (path: (string | number)[], id: string): Reference => ({ kind: 'proposal', id, path }),
  agreement: (path: (string | number)[], id: string): Reference => ({ kind: 'agreement', id, path }),
  event: (path: (string | number)[], id: string): Reference => ({ kind: 'event', id, path }),
  actors: (path: (string | number)[], ids: string[] = []): Reference[] => ids.map((id, i) => ref.actor([...path, i], id)),
  issues: (path: (string | number)[], ids: string[] = []): Reference[] => ids.map((id, i) => ref.issue([...path, i], id)),
};

export const idString = () => z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, ".", "_", ":" and "-" only');
