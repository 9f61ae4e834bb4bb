// Sharing equal parts of cached documents: the documents stay the same in value.
import { fixture } from '../../test/support/fixtures.js';
import { newsEvents } from '../../test/support/history.js';
import type { Evidence } from './evidence.js';
import { replay } from './projection.js';
import { positionsProjection, type ActorEntry } from './positions/positions.fold.js';
import { partSharer } from './shared-parts.js';

const founding = fixture('founding-week').events;

/** The founding week's positions entries as a reader gets them from PostgreSQL: parsed copies. */
function parsedEntries(): ActorEntry[] {
  const docs = replay(positionsProjection, newsEvents(founding));
  return [...docs].filter(([key]) => !key.startsWith('~')).map(([, doc]) => JSON.parse(JSON.stringify(doc)) as ActorEntry);
}

const stamp = { occurred: 1, reported: 1, position: 1 };
const evidence = (id: string, retracted: (typeof stamp)[] = []): Evidence => ({ id, stamp: { ...stamp }, sources: [{ outlet: 'Reuters', attribution: 'named' }], added: [], retracted });

describe('sharing the parts of cached documents', () => {
  it('given the founding week parsed from JSON, the shared entries equal the originals', () => {
    const share = partSharer();
    expect(parsedEntries().map(share)).toEqual(parsedEntries());
  });

  it('given an event that concerns several actors, its entries hold one evidence record', () => {
    const share = partSharer();
    const entries = parsedEntries().map(share);
    const byEvent = new Map<string, Evidence[]>();
    for (const e of entries) byEvent.set(e.ev.id, [...(byEvent.get(e.ev.id) ?? []), e.ev]);
    const shared = [...byEvent.values()].filter((evs) => evs.length > 1);
    expect(shared.length).toBeGreaterThan(0);
    for (const evs of shared) for (const ev of evs) expect(ev).toBe(evs[0]);
  });

  it('given the same event before and after a retraction, the two records stay apart', () => {
    const share = partSharer();
    const before = share({ ev: evidence('e1') });
    const after = share({ ev: evidence('e1', [{ ...stamp, position: 2 }]) });
    expect(after.ev).not.toBe(before.ev);
    expect(after.ev.retracted).toEqual([{ occurred: 1, reported: 1, position: 2 }]);
    expect(before.ev.retracted).toEqual([]);
  });

  it('given equal strings in different documents, they become one string and values stay put', () => {
    const share = partSharer();
    const a = share({ summary: `talks ${'in Cairo'}`, tags: ['x'], n: 3, none: null });
    const b = share({ summary: `talks ${'in Cairo'}`, tags: [] as string[], n: 3, none: null });
    expect(b.summary).toBe(a.summary);
    expect(a).toEqual({ summary: 'talks in Cairo', tags: ['x'], n: 3, none: null });
    expect(b).toEqual({ summary: 'talks in Cairo', tags: [], n: 3, none: null });
  });
});
