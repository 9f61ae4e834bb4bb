// Configuration (owns: the environment schema). Validated once at start-up; defaults that work.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';

const apiKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+:(editor|admin):\S{16,}$/, 'each API_KEYS entry is name:role:secret (role editor or admin, secret of 16+ characters)')
  .transform((entry) => {
    const [name, role, ...secret] = entry.split(':');
    return { name, role: role as 'editor' | 'admin', secret: secret.join(':') };
  });

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  API_KEYS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v?.trim()) return undefined;
      const parsed = z.array(apiKey).safeParse(v.split(',').map((s) => s.trim()).filter(Boolean));
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: parsed.error.issues[0].message });
        return z.NEVER;
      }
      return parsed.data;
    }),
  READ_ACCESS: z.enum(['open', 'key']).default('open'),
  /** A hot standby to read from (writes and the projector use DATABASE_URL, the primary). */
  READ_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** How long a read with `minPosition` waits for the read database to reflect it (503 past it). */
  READ_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
  /** Which proxies may name the client (X-Forwarded-For): false, true, a hop count, or addresses/CIDRs. */
  TRUST_PROXY: z
    .string()
    .regex(/^(false|true|\d+|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, 'false, true, a number of hops, or comma-separated addresses/CIDRs of the proxies')
    .default('false'),
  BODY_LIMIT: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(1_048_576),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'silent']).default('log'),
  /** Unset: `text` at a terminal, `json` (one object a line) otherwise; see loadConfig. */
  LOG_FORMAT: z.enum(['json', 'text']).optional(),
  /** One log line per request: method, route pattern, status, milliseconds, the key's name. */
  REQUEST_LOG: z.stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'] }).default(false),
  CORS_ORIGINS: z.string().default(''),
  /** How long a client may take to send a whole request, body included (408 past it). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
  /** Concurrent GET /stream connections per server (503 with Retry-After beyond). */
  STREAM_MAX_CLIENTS: z.coerce.number().int().min(1).max(100_000).default(100),
  /** Largest body a page of GET /events carries: fewer events than `limit` when they are large. */
  PAGE_MAX_BYTES: z.coerce.number().int().min(64 * 1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Projections behind the log with no progress for this long make the server not ready. */
  PROJECTOR_STALL_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
});

export type Config = Omit<z.infer<typeof schema>, 'DATA_DIR' | 'LOG_FORMAT'> & { DATA_DIR: string; LOG_FORMAT: 'json' | 'text' };
export type ApiKeyConfig = NonNullable<Config['API_KEYS']>[number];

export class ConfigError extends Error {}

/**
 * The validated configuration. `atTerminal` decides LOG_FORMAT when it is not set: lines for a
 * person at a terminal, JSON for whatever collects the output of a service.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, atTerminal = process.stdout.isTTY === true): Config {
  const blank = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = schema.safeParse(blank);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return { ...result.data, LOG_FORMAT: result.data.LOG_FORMAT ?? (atTerminal ? 'text' : 'json'), DATA_DIR: path.resolve(result.data.DATA_DIR) };
}

/**
 * Reads a `.env` file (KEY=value lines, `#` comments, quotes, `export `; Node's own parser) into
 * `env` when the file exists. A variable the environment already has, even empty, is kept: the
 * real environment wins. Returns the names it set (never their values: they may be secrets).
 */
export function loadDotEnv(file = path.resolve('.env'), env: NodeJS.ProcessEnv = process.env): string[] {
  if (!existsSync(file)) return [];
  let parsed: NodeJS.Dict<string>;
  try {
    parsed = parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (value === undefined || env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}

export const CONFIG = Symbol('CONFIG');
