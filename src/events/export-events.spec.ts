// The export's paging and its watchdog, against a stand-in for the query bus; the media-type
// choice and the CSV fields it goes with.
import { EventEmitter } from 'node:events';
import type { QueryBus } from '@nestjs/cqrs';
import type { ServerResponse } from 'node:http';
import { csvField, positionsCsv } from '../projections/positions/positions-csv.js';
import type { ActorPosition } from '../projections/positions/positions.view.js';
import { exportLines } from './export-events.js';
import { CSV_TYPES, NDJSON_TYPES, prefersOver } from './media-type.js';
import type { GetEvents } from './read-events.query.js';

/** A log of `head` events, read as GetEventsHandler would, `pageSize` at a time; it grows by `growth` after the first read. */
function fakeLog(head: number, pageSize: number, growth = 0) {
  const asked: { after: number; until: number | 'head' | undefined }[] = [];
  let length = head;
  const queries = {
    async execute(q: GetEvents) {
      asked.push({ after: q.after, until: q.until });
      const until = q.until === 'head' ? head : (q.until as number);
      const read = Array.from({ length: Math.max(0, Math.min(pageSize, length - q.after)) }, (_, i) => ({ id: `e${q.after + i + 1}`, position: q.after + i + 1 }));
      length += growth;
      const page = read.filter((e) => e.position <= until);
      return { events: page, next: page.length < read.length ? until : (page.at(-1)?.position ?? q.after), until };
    },
  } as unknown as QueryBus;
  return { queries, asked };
}

const fakeResponse = () => Object.assign(new EventEmitter(), { destroyed: false, destroy() { this.destroyed = true; } }) as unknown as ServerResponse & { destroyed: boolean };

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  let text = '';
  for await (const chunk of lines) text += chunk;
  return text.split('\n').filter(Boolean);
}

describe('the NDJSON export', () => {
  it('reads page after page up to the head it pinned, one event a line', async () => {
    const { queries, asked } = fakeLog(1234, 500, 100);
    const lines = await collect(exportLines(queries, { after: 0 }, fakeResponse()));
    expect(lines).toHaveLength(1234);
    expect(JSON.parse(lines[0])).toEqual({ id: 'e1', position: 1 });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ id: 'e1234', position: 1234 });
    expect(asked).toEqual([
      { after: 0, until: 'head' },
      { after: 500, until: 1234 },
      { after: 1000, until: 1234 },
    ]);
  });

  it('an empty log is no lines, after one read', async () => {
    const { queries, asked } = fakeLog(0, 500);
    expect(await collect(exportLines(queries, { after: 0 }, fakeResponse()))).toEqual([]);
    expect(asked).toHaveLength(1);
  });

  it('cuts off a client that takes nothing for the stall time', async () => {
    const { queries } = fakeLog(10, 500);
    const res = fakeResponse();
    const lines = exportLines(queries, { after: 0 }, res, 50);
    await lines.next(); // the first chunk handed on, and never a request for the next
    await new Promise((r) => setTimeout(r, 200));
    expect(res.destroyed).toBe(true);
    await lines.return(undefined);
  });
});

describe('choosing the form from Accept', () => {
  it.each([
    ['application/x-ndjson', true],
    ['application/ndjson', true],
    ['application/json, application/x-ndjson', true],
    ['application/x-ndjson;q=0.5, application/json', false],
    ['application/json;q=0.4, application/x-ndjson;q=0.5', true],
    ['*/*', false],
    ['application/*', false],
    ['application/x-ndjson;q=0', false],
    ['text/html', false],
    [undefined, false],
  ])('%s → NDJSON: %s', (accept, ndjson) => {
    expect(prefersOver(accept, NDJSON_TYPES)).toBe(ndjson);
  });

  it('text/csv over */*', () => {
    expect(prefersOver('text/csv, */*;q=0.1', CSV_TYPES)).toBe(true);
    expect(prefersOver('TEXT/CSV', CSV_TYPES)).toBe(true);
    expect(prefersOver('application/json, text/csv;q=0.9', CSV_TYPES)).toBe(false);
  });
});

describe('CSV fields', () => {
  it.each([
    ['plain', 'plain'],
    ['a, b', '"a, b"'],
    ['say "no"', '"say ""no"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['=HYPERLINK("x","y")', `"'=HYPERLINK(""x"",""y"")"`],
    ['', ''],
  ])('%j → %s', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('one row per stance cell, evidenceTotal counted when the list was cut', () => {
    const actor = (slug: string, stances: ActorPosition['stances']) => ({ actor: slug, stances }) as ActorPosition;
    const csv = positionsCsv([
      actor('hamas', { 'permanent-ceasefire': { stance: 'demands', since: '2023-12-19', confidence: 'reported', evidence: ['a'], evidenceTotal: 12, summary: 'x' } }),
      actor('egypt', {}),
    ]);
    expect(csv).toBe('actor,issue,stance,since,confidence,evidenceCount,summary\r\nhamas,permanent-ceasefire,demands,2023-12-19,reported,12,x\r\n');
  });
});
