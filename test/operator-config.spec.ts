// Configuration as operators expect it: a .env file under the real environment, log lines for a
// person at a terminal and JSON otherwise, the request log's line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConsoleLogger } from '@nestjs/common';
import { ConfigError, loadConfig, loadDotEnv } from '../src/config/config.js';
import { requestLog } from '../src/http/request-observer.js';

describe('.env', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'standpoint-env-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('sets what the environment does not have, and the real environment wins', async () => {
    const file = path.join(dir, '.env');
    await writeFile(
      file,
      [
        '# the server behind the proxy',
        'PORT=4000',
        'export HOST=0.0.0.0',
        'LOG_FORMAT="text"',
        "API_KEYS='ops:admin:a-secret-of-16-chars'",
        'READ_ACCESS=key # trailing comment',
        'EMPTY_IN_ENV=from-file',
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = { PORT: '5000', EMPTY_IN_ENV: '' };
    const set = loadDotEnv(file, env);
    expect(env).toEqual({
      PORT: '5000',
      HOST: '0.0.0.0',
      LOG_FORMAT: 'text',
      API_KEYS: 'ops:admin:a-secret-of-16-chars',
      READ_ACCESS: 'key',
      EMPTY_IN_ENV: '',
    });
    expect(set.sort()).toEqual(['API_KEYS', 'HOST', 'LOG_FORMAT', 'READ_ACCESS']);
    const config = loadConfig(env, false);
    expect(config).toMatchObject({ PORT: 5000, HOST: '0.0.0.0', LOG_FORMAT: 'text', READ_ACCESS: 'key', API_KEYS: [{ name: 'ops', role: 'admin', secret: 'a-secret-of-16-chars' }] });
  });

  it('is optional: no file, nothing changes', () => {
    const env: NodeJS.ProcessEnv = { PORT: '1' };
    expect(loadDotEnv(path.join(dir, '.env'), env)).toEqual([]);
    expect(env).toEqual({ PORT: '1' });
  });

  it('a value from .env is validated like any other', async () => {
    const file = path.join(dir, '.env');
    await writeFile(file, 'PORT=not-a-port\n');
    const env: NodeJS.ProcessEnv = {};
    loadDotEnv(file, env);
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/PORT/);
  });
});

describe('LOG_FORMAT and REQUEST_LOG', () => {
  it('LOG_FORMAT is text at a terminal and json otherwise, unless it is set', () => {
    expect(loadConfig({}, true).LOG_FORMAT).toBe('text');
    expect(loadConfig({}, false).LOG_FORMAT).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }, true).LOG_FORMAT).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'text' }, false).LOG_FORMAT).toBe('text');
    expect(loadConfig({ LOG_FORMAT: '' }, true).LOG_FORMAT).toBe('text');
    expect(() => loadConfig({ LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT/);
  });

  it('REQUEST_LOG is off unless turned on', () => {
    expect(loadConfig({}).REQUEST_LOG).toBe(false);
    expect(loadConfig({ REQUEST_LOG: 'true' }).REQUEST_LOG).toBe(true);
    expect(loadConfig({ REQUEST_LOG: '1' }).REQUEST_LOG).toBe(true);
    expect(loadConfig({ REQUEST_LOG: 'false' }).REQUEST_LOG).toBe(false);
    expect(() => loadConfig({ REQUEST_LOG: 'maybe' })).toThrow(/REQUEST_LOG/);
  });

  it('the request log line reads as one line in text, and as fields in JSON', () => {
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      requestLog(new ConsoleLogger({ json: false, colors: false }), 'text')({ method: 'GET', route: '/positions/:actor', status: 200, ms: 3.4, key: 'analyst' });
      requestLog(new ConsoleLogger({ json: true, flattenParams: true }), 'json')({ method: 'POST', route: '/events', status: 400, ms: 1.2, key: null });
    } finally {
      process.stdout.write = write;
    }
    expect(out).toHaveLength(2);
    expect(out[0].trimEnd().split('\n')).toHaveLength(1);
    expect(out[0]).toMatch(/LOG \[request\] GET \/positions\/:actor 200 3\.4 ms key=analyst/);
    expect(JSON.parse(out[1])).toMatchObject({ level: 'log', context: 'request', message: 'POST /events 400 1.2 ms', method: 'POST', route: '/events', status: 400, ms: 1.2, key: null });
  });
});
