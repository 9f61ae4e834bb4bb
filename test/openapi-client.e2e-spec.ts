// The OpenAPI document is good enough to generate a client from: Redocly's recommended rules find
// nothing in it, and a typed client generated from it (openapi-typescript) accepts the server's
// real answers, written out as literals and type-checked with strict options, and refuses
// answers that are wrong.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { EVENT_TYPES } from '../src/catalogue/catalogue.js';
import { openApiDocument } from '../src/http/openapi.js';
import { fixture } from './support/fixtures.js';
import { ADMIN_KEY, TestApp } from './support/test-server.js';

const run = promisify(execFile);

describe('the OpenAPI document generates a typed client', () => {
  let app: TestApp;
  let dir: string;
  let document: Awaited<ReturnType<typeof openApiDocument>>;

  beforeAll(async () => {
    [app, dir, document] = await Promise.all([TestApp.start(), mkdtemp(path.join(os.tmpdir(), 'standpoint-openapi-')), openApiDocument()]);
    // Three recorded histories (every event type but a few, added below): answers with claims,
    // disputes, agreements, phases, ratifications, ceasefires and violations in them.
    for (const name of ['founding-week', 'talks-2024-mar-jul', 'lebanon-2024-ceasefire']) {
      const { register, events } = fixture(name);
      for (const actor of register?.actors ?? []) expect((await app.post('/actors', actor, ADMIN_KEY)).status).toBe(201);
      for (const issue of register?.issues ?? []) expect((await app.post('/issues', issue, ADMIN_KEY)).status).toBe(201);
      const appended = await app.post('/events/batch', { events });
      expect(appended.status).toBe(201);
    }
    const first = (await app.get('/events?limit=1')).body.events[0];
    const more = [
      { type: 'SourceAdded', occurredAt: '2023-12-21', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { eventId: first.id, source: { outlet: 'AP', attribution: 'official' } } },
      { type: 'DetaineesReleased', occurredAt: '2023-11-24', sources: [{ outlet: 'Reuters', attribution: 'official' }], data: { by: 'hamas', count: 24, deceased: 0, summary: 'The first exchange of the November truce' } },
      { type: 'CeasefireEnded', occurredAt: '2023-12-01', sources: [{ outlet: 'Reuters', attribution: 'official' }], data: { summary: 'The November truce ends' } },
    ];
    expect((await app.post('/events/batch', { events: more })).status).toBe(201);
    const retraction = { type: 'ReportRetracted', occurredAt: '2023-12-22', sources: [{ outlet: 'Reuters', attribution: 'named' }], data: { eventId: first.id, reason: 'A test of retraction' } };
    expect((await app.post('/events', retraction)).status).toBe(201);
    await app.settled();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await app.stop();
  });

  it('is what GET /docs-json serves', async () => {
    expect((await app.get('/docs-json')).body).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it("passes Redocly's recommended rules without an error or a warning", async () => {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document, null, 2));
    const { stdout } = await run(path.resolve('node_modules/.bin/redocly'), ['lint', '--extends=recommended', '--format=json', file], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' })); // it exits 1 on errors; the report says which
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
    expect(report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('types the real answers, and refuses wrong ones', async () => {
    const client = astToString(await openapiTS(structuredClone(document) as never));
    const get = async (route: string, status = 200) => {
      const reply = await app.get(route);
      expect({ route, status: reply.status }).toEqual({ route, status });
      return JSON.stringify(reply.body, null, 2); // a field a line: a diagnostic's line names it
    };
    const events = JSON.parse(await get('/events?limit=1000'));
    // Every variant of the typed StoredEvent gets exercised.
    expect([...new Set(events.events.map((e: { type: string }) => e.type))].sort()).toEqual([...EVENT_TYPES].sort());
    const proposalId = JSON.parse(await get('/proposals')).proposals[0].proposalId;
    const agreementId = JSON.parse(await get('/agreements')).agreements[0].agreementId;
    const calls = `
import type { components, paths } from './standpoint-api.js';
type S = components['schemas'];
type Ok<P extends keyof paths, M extends 'get' | 'post', C extends number = 200> = paths[P][M] extends { responses: { [K in C]: { content: { 'application/json': infer T } } } } ? T : never;
type Problem<P extends keyof paths, C extends number> = paths[P]['get'] extends { responses: { [K in C]: { content: { 'application/problem+json': infer T } } } } ? T : never;

export const positionsHamas: paths['/positions/{actor}']['get']['responses'][200]['content']['application/json'] = ${await get('/positions/hamas')};
export const positions: Ok<'/positions', 'get'> = ${await get('/positions')};
export const asOf: S['Positions'] = ${await get('/positions?asOf=2023-12-19&knownAt=2023-12-21&limit=2')};
export const history: Ok<'/positions/{actor}/history', 'get'> = ${await get('/positions/hamas/history?issue=permanent-ceasefire')};
export const proposals: Ok<'/proposals', 'get'> = ${await get('/proposals')};
export const proposal: Ok<'/proposals/{id}', 'get'> = ${await get(`/proposals/${proposalId}`)};
export const agreements: S['Agreements'] = ${await get('/agreements')};
export const agreement: Ok<'/agreements/{id}', 'get'> = ${await get(`/agreements/${agreementId}`)};
export const timeline: Ok<'/timeline', 'get'> = ${await get('/timeline?actor=hamas&from=2023-12-01')};
export const status: Ok<'/status', 'get'> = ${await get('/status')};
export const statusThen: S['Status'] = ${await get('/status?asOf=2024-11-28')};
export const page: Ok<'/events', 'get'> = ${JSON.stringify(events, null, 2)};
export const event: Ok<'/events/{id}', 'get'> = ${await get(`/events/${events.events[0].id}`)};
export const actors: Ok<'/actors', 'get'> = ${await get('/actors')};
export const issues: Ok<'/issues', 'get'> = ${await get('/issues')};
export const health: Ok<'/health', 'get'> = ${await get('/health')};
export const ready: Ok<'/health/ready', 'get'> = ${await get('/health/ready')};
export const live: Ok<'/health/live', 'get'> = ${await get('/health/live')};
export const unknownActor: Problem<'/positions/{actor}', 404> = ${await get('/positions/nobody', 404)};
export const badQuery: Problem<'/timeline', 400> = ${await get('/timeline?asof=2023-12-19', 400)};
export const pageQuery: paths['/events']['get']['parameters']['query'] = { after: 0, limit: 10, type: 'ProposalMade', actor: 'hamas' };

// What the generated types must refuse.
// @ts-expect-error a position is a number
export const wrongPosition: S['ActorPosition'] = { ...positionsHamas, position: 'latest' };
// @ts-expect-error a field the answer does not have
export const extraField: S['ActorPosition'] = { ...positionsHamas, mood: 'hopeful' };
// @ts-expect-error a stance is one of five
export const wrongStance: S['StanceCell'] = { ...Object.values(positionsHamas.stances)[0]!, stance: 'maybe' };
// @ts-expect-error a problem is not a position
export const problemAsPosition: Ok<'/positions/{actor}', 'get'> = unknownActor;
// @ts-expect-error a stored event's data is its type's
export const wrongData: S['StoredEvent'] = { ...page.events[0]!, type: 'CeasefireEnded', data: { actor: 'hamas' } };
// @ts-expect-error no such event type
export const wrongType: paths['/events']['get']['parameters']['query'] = { type: 'Rumour' };
`;
    await writeFile(path.join(dir, 'standpoint-api.ts'), client);
    await writeFile(path.join(dir, 'calls.ts'), calls);
    const program = ts.createProgram([path.join(dir, 'calls.ts')], {
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: [],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return message;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${path.basename(d.file.fileName)}:${line + 1}: ${message}\n    ${d.file.text.split('\n')[line].trim()}`;
    });
    expect(problems).toEqual([]);
  });
});
