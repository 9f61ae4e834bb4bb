// The recorded histories in test/fixtures, read once per name.
import { readFileSync } from 'node:fs';

export interface Fixture {
  description?: string;
  /** Actors and issues the history needs beyond the built-in ones, registered before replaying it. */
  register?: { actors?: { slug: string; name: string; role: 'party' | 'mediator' }[]; issues?: { slug: string; name: string; description?: string }[] };
  events: any[];
}

const cache = new Map<string, Fixture>();

/** `name` without its .json, e.g. `founding-week`. */
export function fixture(name: string): Fixture {
  let loaded = cache.get(name);
  if (!loaded) cache.set(name, (loaded = JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Fixture));
  return loaded;
}
