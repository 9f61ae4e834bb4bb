// `npm run import` as a user meets it: its own process, its arguments checked, one clear line and
// an exit code for each way it can fail, never a stack trace.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { statement } from './support/envelopes.js';
import { EDITOR_KEY, TestApp } from './support/test-server.js';

const FIXTURE = 'test/fixtures/founding-week.json';

function runImport(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete fullEnv[k];
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { env: fullEnv, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** No stack trace, no "node:internal", no source paths: only what a user should read. */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toMatch(/node:internal|\.ts:\d+|Error:/);
}

describe('npm run import, its arguments', () => {
  it('--help prints the usage and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout, stderr } = await runImport([flag]);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^Usage: npm run import -- <file>/);
      for (const option of ['--url', '--key', '--batch', '--direct', 'STANDPOINT_KEY', 'Exit codes']) expect(stdout).toContain(option);
    }
  });

  it.each([
    [['--batch', 'abc', FIXTURE], /--batch must be a whole number from 1 to 1000 \(got "abc"\)/],
    [['--batch', '0', FIXTURE], /--batch must be a whole number/],
    [['--batch', '1001', FIXTURE], /--batch must be a whole number/],
    [['--batch', '2.5', FIXTURE], /--batch must be a whole number/],
    [[FIXTURE, '--batch'], /--batch/],
    [['--bogus', FIXTURE], /Unknown option '--bogus'/],
    [[FIXTURE, '--url', 'not a url'], /--url must be an http:\/\/ or https:\/\/ URL/],
    [[FIXTURE, '--url', 'ftp://127.0.0.1'], /--url must be an http:\/\/ or https:\/\/ URL/],
    [[FIXTURE, '--key', ''], /--key is empty/],
    [[], /no file given/],
    [[FIXTURE, FIXTURE], /one file at a time/],
    [['test/fixtures/no-such-file.json'], /no such file: test\/fixtures\/no-such-file\.json/],
    [['test/fixtures'], /is not a file/],
  ])('%j: one clear line, exit 2', async (args, message) => {
    const { code, stdout, stderr } = await runImport(args as string[], { STANDPOINT_KEY: EDITOR_KEY });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message as RegExp);
    expect(stderr).toMatch(/^import: .*\nTry "npm run import -- --help"\.\n$/);
    expectNoStack(stderr);
  });

  describe('given a file that is not a history', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'standpoint-import-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it.each([
      ['broken.json', '{"events": [', /broken\.json: not valid JSON/],
      ['object.json', '{"nothing": 1}', /expected a JSON array of events/],
      ['lines.ndjson', '{"type":"StatementIssued"}\n\nnot json\n', /lines\.ndjson:3: not valid JSON/],
      ['array.ndjson', '[1, 2]\n', /array\.ndjson:1: not a JSON object/],
    ])('%s: names the file (and line), exit 2, nothing posted', async (name, content, message) => {
      const file = path.join(dir, name);
      await writeFile(file, content);
      // A server that is not there: the file is refused before anything is sent.
      const { code, stderr } = await runImport([file, '--url', 'http://127.0.0.1:9', '--key', EDITOR_KEY]);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expectNoStack(stderr);
    });
  });

  it('without a key: says how to give one, exit 2', async () => {
    const { code, stderr } = await runImport([FIXTURE, '--url', 'http://127.0.0.1:9'], { STANDPOINT_KEY: undefined });
    expect(code).toBe(2);
    expect(stderr).toMatch(/an API key is needed: --key KEY or STANDPOINT_KEY/);
  });

  it('a server that cannot be reached: one line naming it, exit 1, no stack trace', async () => {
    const { code, stdout, stderr } = await runImport([FIXTURE, '--url', 'http://127.0.0.1:9', '--key', EDITOR_KEY]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('import failed: cannot reach the server at http://127.0.0.1:9 (ECONNREFUSED); is it running? Set --url or STANDPOINT_URL\n');
  });

  describe('against a running server', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await TestApp.start();
    });
    afterAll(() => app.stop());

    it('a key the server refuses: one line, exit 1, nothing appended', async () => {
      const { code, stderr } = await runImport([FIXTURE, '--url', app.url, '--key', 'not-a-key-0123456789']);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^import failed: the server refused the key \(401\): .+\n$/);
      expectNoStack(stderr);
      expect(await app.eventCount()).toBe(0);
    });

    it('imports through STANDPOINT_URL and STANDPOINT_KEY; no progress line when stdout is not a terminal', async () => {
      const { code, stdout, stderr } = await runImport([FIXTURE, '--batch', '3'], { STANDPOINT_URL: app.url, STANDPOINT_KEY: EDITOR_KEY });
      expect([code, stderr]).toEqual([0, '']);
      expect(stdout).toBe('imported 8/8: 8 appended, 0 already stored, 0 batch(es) rejected\n');
      expect(stdout).not.toContain('\r');
    });

    it('a rejected batch is reported with its reasons, exit 1, the other batches appended', async () => {
      const good = statement();
      const bad = { ...statement(), data: { actor: 'nobody-known', stances: [{ issue: 'negotiations', stance: 'supports' }], summary: 'x' } };
      const dir = await mkdtemp(path.join(os.tmpdir(), 'standpoint-import-'));
      try {
        const file = path.join(dir, 'mixed.ndjson');
        await writeFile(file, `${JSON.stringify(good)}\n${JSON.stringify(bad)}\n`);
        const { code, stdout } = await runImport([file, '--batch', '1', '--url', app.url, '--key', EDITOR_KEY]);
        expect(code).toBe(1);
        expect(stdout).toMatch(/^imported 2\/2: 1 appended, 0 already stored, 1 batch\(es\) rejected\nrejected events 1\.\.1 \(400\): /);
        expect(stdout).toContain('events[0].data.actor');
        expect((await app.get(`/events/${good.id}`)).status).toBe(200);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
