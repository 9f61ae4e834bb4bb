// The log out and back in: GET /events as NDJSON from one server, `npm run import` of that
// export into a fresh one (a real child process), the same events and the same positions there;
// the export's filters; GET /positions as CSV read back with an RFC 4180 parser.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { statement } from './support/envelopes.js';
import { fixture } from './support/fixtures.js';
import { ADMIN_KEY, EDITOR_KEY, TestApp } from './support/test-server.js';

const founding = fixture('founding-week');
const NDJSON = { accept: 'application/x-ndjson' };
const SENT_FIELDS = ['id', 'type', 'occurredAt', 'reportedAt', 'data', 'sources'] as const;

/** `npm run import` as a user runs it: its own process, stdout a pipe. */
function runImport(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function exportText(app: TestApp, query = '', key: string | null = null): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = { ...NDJSON };
  if (key) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${app.url}/events${query}`, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function ndjsonLines(text: string): any[] {
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/** Every page of GET /events, as JSON. */
async function allPages(app: TestApp, query = ''): Promise<any[]> {
  const events: any[] = [];
  for (let after = 0; ; ) {
    const { body } = await app.get(`/events?after=${after}&limit=1000${query}`);
    events.push(...body.events);
    if (!body.events.length) return events;
    after = body.next;
  }
}

/** A position answer without the log positions, which a second server numbers its own way. */
function withoutPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPositions);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'position').map(([k, v]) => [k, withoutPositions(v)]));
  return value;
}

/** RFC 4180: quoted fields may hold commas, line breaks and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else field += c;
  }
  if (field || row.length) {
    endField();
    rows.push(row);
  }
  return rows;
}

describe('export and import', () => {
  let source: TestApp;
  let target: TestApp;
  let dir: string;
  const tricky = statement('qatar', 'hostage-exchange', 'supports', { data: { actor: 'qatar', stances: [{ issue: 'hostage-exchange', stance: 'supports' }], summary: 'Qatar says "a deal is close", officials add, cautiously.\nMore to follow.' }, occurredAt: '2023-12-22', reportedAt: '2023-12-22' });
  const formula = statement('egypt', 'temporary-ceasefire', 'supports', { data: { actor: 'egypt', stances: [{ issue: 'temporary-ceasefire', stance: 'supports' }], summary: '=HYPERLINK("http://evil.example","click")' }, occurredAt: '2023-12-22', reportedAt: '2023-12-22' });
  const timed = statement('us', 'negotiations', 'supports', { occurredAt: '2023-12-21T14:30:00+02:00', reportedAt: undefined });
  const uncertain = statement('israel', 'negotiations', 'supports', { occurredAt: '2023-12-01/2023-12-05' });
  let retractionId: string;
  let corroborationId: string;

  beforeAll(async () => {
    [source, target] = await Promise.all([TestApp.start(), TestApp.start()]);
    dir = await mkdtemp(path.join(os.tmpdir(), 'standpoint-export-'));
    expect((await source.post('/events/batch', { events: founding.events })).status).toBe(201);
    const [hamasStatement, israelStatement] = founding.events.filter((e) => e.type === 'StatementIssued').slice(-2);
    const retraction = await source.post('/events', { type: 'ReportRetracted', occurredAt: '2023-12-21', reportedAt: '2023-12-21', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { eventId: hamasStatement.id, reason: 'misattributed' } });
    const corroboration = await source.post('/events', { type: 'SourceAdded', occurredAt: '2023-12-21', reportedAt: '2023-12-21', sources: [{ outlet: 'AP', attribution: 'named' }], data: { eventId: israelStatement.id, source: { outlet: 'AP', attribution: 'named' } } });
    expect([retraction.status, corroboration.status]).toEqual([201, 201]);
    retractionId = retraction.body.id;
    corroborationId = corroboration.body.id;
    for (const e of [tricky, formula, timed, uncertain]) expect((await source.post('/events', e)).status).toBe(201);
    await source.settled();
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('GET /events as NDJSON', () => {
    it('streams every event in position order, each line as GET /events/:id shows it', async () => {
      const { status, headers, text } = await exportText(source);
      expect(status).toBe(200);
      expect(headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(headers.get('vary')).toMatch(/accept/i);
      expect(headers.get('x-content-type-options')).toBe('nosniff'); // the security headers, as on every read
      expect(headers.get('content-security-policy')).toBeTruthy();
      const lines = ndjsonLines(text);
      expect(lines).toHaveLength(founding.events.length + 6);
      expect(lines.map((e) => e.position)).toEqual([...lines.map((e) => e.position)].sort((a, b) => a - b));
      expect(lines).toEqual(await allPages(source));
      for (const line of [lines[0], lines.find((e) => e.retracted), lines.find((e) => e.addedSources)]) {
        expect(line).toEqual((await source.get(`/events/${line.id}`)).body);
      }
      expect(lines.find((e) => e.retracted)).toMatchObject({ retractedBy: retractionId });
      expect(lines.find((e) => e.addedSources).addedSources).toEqual([expect.objectContaining({ eventId: corroborationId })]);
    });

    it('takes the filters of GET /events: after, type and actor', async () => {
      const all = ndjsonLines((await exportText(source)).text);
      const after = all[3].position;
      expect(ndjsonLines((await exportText(source, `?after=${after}`)).text)).toEqual(all.filter((e) => e.position > after));
      const statements = ndjsonLines((await exportText(source, '?type=StatementIssued')).text);
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.every((e) => e.type === 'StatementIssued')).toBe(true);
      expect(statements).toEqual(await allPages(source, '&type=StatementIssued'));
      const hamas = ndjsonLines((await exportText(source, '?actor=hamas')).text);
      expect(hamas.length).toBeGreaterThan(0);
      expect(hamas).toEqual(await allPages(source, '&actor=hamas'));
      expect(hamas.length).toBeLessThan(all.length);
      const both = ndjsonLines((await exportText(source, `?type=StatementIssued&actor=hamas&after=${after}`)).text);
      expect(both).toEqual(statements.filter((e) => e.position > after && hamas.some((h) => h.id === e.id)));
      const none = await exportText(source, `?after=${all.at(-1).position}`);
      expect(none.status).toBe(200);
      expect(none.text).toBe('');
    });

    it('refuses a bad filter or a page limit with problem+json, as GET /events does', async () => {
      for (const query of ['?type=Nope', '?actor=Not%20A%20Slug', '?after=-1', '?limit=10', '?colour=red']) {
        const { status, headers } = await exportText(source, query);
        expect([query, status]).toEqual([query, 400]);
        expect(headers.get('content-type')).toMatch(/application\/problem\+json/);
      }
    });

    it('answers JSON pages unless NDJSON is preferred', async () => {
      const page = await source.request('GET', '/events?limit=2', undefined, { key: null, headers: { accept: 'application/json, application/x-ndjson;q=0.5' } });
      expect(page.body.events).toHaveLength(2);
      expect(page.headers.get('vary')).toMatch(/accept/i);
      const wildcard = await source.request('GET', '/events?limit=2', undefined, { key: null, headers: { accept: '*/*' } });
      expect(wildcard.body.events).toHaveLength(2);
      const preferred = await source.request('GET', '/events', undefined, { key: null, headers: { accept: 'application/json;q=0.5, application/x-ndjson' } });
      expect(preferred.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    });

    it('streams a log larger than one page, and ends at the head it began at', async () => {
      const big = await TestApp.start();
      try {
        const events = Array.from({ length: 1200 }, (_, i) => ({ ...statement(), data: { actor: 'hamas', stances: [{ issue: 'negotiations', stance: 'supports' }], summary: `statement ${i}` } }));
        for (let i = 0; i < events.length; i += 1000) expect((await big.post('/events/batch', { events: events.slice(i, i + 1000) })).status).toBe(201);
        const response = await fetch(`${big.url}/events`, { headers: NDJSON });
        // Appended while the export runs: past its head, so not in it.
        expect((await big.post('/events', statement())).status).toBe(201);
        const lines = ndjsonLines(await response.text());
        expect(lines.map((e) => e.id)).toEqual(events.map((e) => e.id));
      } finally {
        await big.stop();
      }
    });

    it('needs a key under READ_ACCESS=key', async () => {
      const closed = await TestApp.start({ READ_ACCESS: 'key' });
      try {
        await closed.post('/events', statement());
        expect((await exportText(closed)).status).toBe(401);
        const { status, text } = await exportText(closed, '', EDITOR_KEY);
        expect(status).toBe(200);
        expect(ndjsonLines(text)).toHaveLength(1);
        const csv = await closed.request('GET', '/positions', undefined, { key: null, headers: { accept: 'text/csv' } });
        expect(csv.status).toBe(401);
        expect((await closed.request('GET', '/positions', undefined, { key: EDITOR_KEY, headers: { accept: 'text/csv' } })).status).toBe(200);
      } finally {
        await closed.stop();
      }
    });
  });

  describe('npm run import of the export into a fresh server', () => {
    let exported: any[];
    let imported: { code: number; stdout: string; stderr: string };

    beforeAll(async () => {
      const { text } = await exportText(source);
      exported = ndjsonLines(text);
      const file = path.join(dir, 'export.ndjson');
      await writeFile(file, text);
      imported = await runImport([file, '--url', target.url, '--batch', '5'], { STANDPOINT_KEY: ADMIN_KEY });
      await target.settled();
    });

    it('appends every event and says so in one summary line (no progress line on a pipe)', () => {
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(imported.stdout).toBe(`imported ${exported.length}/${exported.length}: ${exported.length} appended, 0 already stored, 0 batch(es) rejected\n`);
    });

    it('holds the same events: id, type, occurredAt, reportedAt, data and sources, in the same order', async () => {
      const copy = await allPages(target);
      expect(copy).toHaveLength(exported.length);
      const pick = (e: any) => Object.fromEntries(SENT_FIELDS.map((f) => [f, e[f]]));
      expect(copy.map(pick)).toEqual(exported.map(pick));
      // What follows from them is the same too: retracted, corroborated, confidence.
      const derived = (e: any) => ({ id: e.id, confidence: e.confidence, retracted: e.retracted, retractedBy: e.retractedBy, addedSources: e.addedSources, disputes: e.disputes });
      expect(copy.map(derived)).toEqual(exported.map(derived));
      expect(copy.find((e) => e.id === timed.id).occurredAt).toBe('2023-12-21T12:30:00.000Z');
      expect(copy.find((e) => e.id === uncertain.id).occurredAt).toBe('2023-12-01/2023-12-05');
    });

    it('holds the same positions, now and in the past', async () => {
      for (const query of ['', '?asOf=2023-12-19', '?asOf=2023-12-20&knownAt=2023-12-19', '?limit=100']) {
        const [a, b] = await Promise.all([source.get(`/positions${query}`), target.get(`/positions${query}`)]);
        expect(b.status).toBe(200);
        expect(withoutPositions(b.body)).toEqual(withoutPositions(a.body));
      }
    });

    it('a second import of the same export appends nothing', async () => {
      const file = path.join(dir, 'export.ndjson');
      const again = await runImport([file, '--url', target.url, '--key', EDITOR_KEY]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`0 appended, ${exported.length} already stored`);
      expect(await target.eventCount()).toBe(exported.length);
    });
  });

  describe('GET /positions as CSV', () => {
    it('one row per actor × issue cell under a header, RFC 4180 quoting, formulas neutralised', async () => {
      const reply = await source.request('GET', '/positions', undefined, { key: null, headers: { accept: 'text/csv' } });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(reply.headers.get('vary')).toMatch(/accept/i);
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      const text = reply.body as string;
      expect(text.endsWith('\r\n')).toBe(true);
      const [header, ...rows] = parseCsv(text);
      expect(header).toEqual(['actor', 'issue', 'stance', 'since', 'confidence', 'evidenceCount', 'summary']);
      expect(rows.every((r) => r.length === header.length)).toBe(true);

      const json = (await source.get('/positions')).body;
      const cells = json.actors.flatMap((a: any) => Object.entries(a.stances).map(([issue, cell]: [string, any]) => ({ actor: a.actor, issue, cell })));
      expect(rows).toHaveLength(cells.length);
      for (const { actor, issue, cell } of cells) {
        const row = rows.find((r) => r[0] === actor && r[1] === issue)!;
        expect(row.slice(2, 6)).toEqual([cell.stance, cell.since, cell.confidence, String(cell.evidenceTotal ?? cell.evidence.length)]);
      }
      // A summary with a comma, quotes and a line break comes back as it was.
      expect(rows.find((r) => r[0] === 'qatar' && r[1] === 'hostage-exchange')![6]).toBe(tricky.data.summary);
      // One a spreadsheet would run as a formula does not start with =.
      expect(rows.find((r) => r[0] === 'egypt' && r[1] === 'temporary-ceasefire')![6]).toBe(`'${formula.data.summary}`);
      for (const row of rows) for (const field of row) expect(field).not.toMatch(/^[=+\-@]/);
    });

    it('takes asOf and knownAt as the JSON does', async () => {
      for (const query of ['?asOf=2023-12-18', '?asOf=2023-12-19&knownAt=2023-12-19', '?asOf=2000-01-01']) {
        const csv = await source.request('GET', `/positions${query}`, undefined, { key: null, headers: { accept: 'text/csv' } });
        const json = (await source.get(`/positions${query}`)).body;
        const [, ...rows] = parseCsv(csv.body as string);
        const cells = json.actors.flatMap((a: any) => Object.keys(a.stances).map((issue) => `${a.actor}|${issue}`));
        expect(rows.map((r) => `${r[0]}|${r[1]}`)).toEqual(cells);
      }
      const early = await source.request('GET', '/positions?asOf=2000-01-01', undefined, { key: null, headers: { accept: 'text/csv' } });
      expect(early.body).toBe('actor,issue,stance,since,confidence,evidenceCount,summary\r\n');
      const bad = await source.request('GET', '/positions?asOf=yesterday', undefined, { key: null, headers: { accept: 'text/csv' } });
      expect(bad.status).toBe(400);
    });

    it('stays JSON for a client that does not ask for CSV', async () => {
      const reply = await source.request('GET', '/positions', undefined, { key: null, headers: { accept: 'application/json, text/csv;q=0.1' } });
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reply.body.actors).toBeDefined();
    });
  });

  it('the import reads the export whatever the file is called, and the ids it derives hold', async () => {
    const fresh = await TestApp.start();
    try {
      const lines = ndjsonLines((await exportText(source, '?type=MeetingHeld')).text);
      // An export saved as .json (one object a line), and envelopes without ids.
      const file = path.join(dir, 'meetings.json');
      await writeFile(file, lines.map((e) => JSON.stringify({ ...e, id: undefined })).join('\n') + '\n');
      const first = await runImport([file, '--url', fresh.url, '--key', EDITOR_KEY]);
      expect([first.code, first.stderr]).toEqual([0, '']);
      expect(first.stdout).toContain(`${lines.length} appended`);
      const second = await runImport([file, '--url', fresh.url, '--key', EDITOR_KEY]);
      expect(second.stdout).toContain(`0 appended, ${lines.length} already stored`);
      expect(await fresh.eventCount()).toBe(lines.length);
      const copy = await allPages(fresh);
      expect(copy.map((e) => e.data)).toEqual(lines.map((e) => e.data));
      // New ids, derived from the content: the same on the second import, so nothing doubled.
      expect(copy.every((e) => /^[0-9a-f-]{36}$/.test(e.id) && !lines.some((l) => l.id === e.id))).toBe(true);
    } finally {
      await fresh.stop();
    }
  });
});
