// Short-lived stream tokens (owns: POST /stream/token's tokens and their check on GET /stream).
// EventSource cannot send an Authorization header, so under READ_ACCESS=key a browser trades its
// key for a token (POST /stream/token, with the key in the header) and opens
// `/stream?token=…`. A token is a signed, expiring statement of the key's name:
//
//   base64url(JSON { name, exp }) + '.' + base64url(HMAC-SHA256(secret, that first part))
//
// `exp` is in Unix seconds. The secret needs no configuration of its own and is the same on every
// server of a deployment (several servers behind nginx share API_KEYS, or share the data folder
// of the generated admin key): SHA-256 over a fixed label and the configured keys' SHA-256
// hashes, sorted. Changing API_KEYS therefore voids every outstanding token. Anyone who holds
// the key hashes could mint tokens, and a token opens nothing but the stream, for reading.
// Tokens are accepted only by GET /stream, only as `?token=`, and only when it is opened: a
// stream that outlives its token is not cut (as one opened with a key is not).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { Problem } from '../http/problems.js';
import type { ApiKey, ApiKeys } from './api-keys.js';

/** How long a token opens the stream for, from its issue. */
export const STREAM_TOKEN_TTL_S = 5 * 60;

/** Part of the secret's derivation: a new label voids every token of the old one. */
export const STREAM_TOKEN_LABEL = 'standpoint stream-token v1';

/** Longer than any token this server issues (key names are short): refused before any work. */
const MAX_TOKEN_LENGTH = 1024;

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;

export interface StreamTokenClaims {
  /** The name of the key it was issued for; null when issued under READ_ACCESS=open without one. */
  name: string | null;
  /** Expiry, Unix seconds. */
  exp: number;
}

/** What POST /stream/token answers (the OpenAPI schema below is this). */
export const StreamTokenAnswer = z
  .object({
    token: z.string().describe('Pass it to GET /stream as `?token=`; good until `expiresAt`'),
    expiresAt: z.iso.datetime().describe('When the token stops opening the stream (a UTC date-time)'),
  })
  .describe('A short-lived token that opens GET /stream in place of an Authorization header');

/** The secret every server of a deployment derives alike from the key hashes it holds. */
export function streamTokenSecret(hashes: readonly Buffer[]): Buffer {
  const digest = createHash('sha256').update(STREAM_TOKEN_LABEL);
  for (const hex of hashes.map((h) => h.toString('hex')).sort()) digest.update(`\n${hex}`);
  return digest.digest();
}

/** Signs the claims with `secret`: the token's form, for servers and for tests alike. */
export function signStreamToken(secret: Buffer, claims: StreamTokenClaims): string {
  const payload = Buffer.from(JSON.stringify({ name: claims.name, exp: claims.exp })).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

export class StreamTokens {
  private secretValue: Buffer | undefined;

  constructor(
    private readonly keys: ApiKeys,
    /** Milliseconds since the epoch; replaceable for tests. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Derived on first use (the OpenAPI preview builds the app without any keys). */
  private get secret(): Buffer {
    return (this.secretValue ??= streamTokenSecret(this.keys.hashes));
  }

  /** A token for this key (undefined: READ_ACCESS=open and no key asked for). */
  issue(key: ApiKey | undefined): { token: string; expiresAt: string } {
    const exp = Math.floor(this.now() / 1000) + STREAM_TOKEN_TTL_S;
    return { token: signStreamToken(this.secret, { name: key?.name ?? null, exp }), expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** The key a token was issued for, if it is genuine, unexpired and its key still configured; else 401. */
  verify(token: unknown): ApiKey {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) throw invalid('The stream token is not valid.');
    const [payload, signature] = token.split('.');
    // Compared as text, so that only the one canonical spelling of the signature passes.
    const expected = Buffer.from(createHmac('sha256', this.secret).update(payload).digest('base64url'));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('The stream token is not valid.');
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw invalid('The stream token is not valid.');
    }
    const { name, exp } = (claims ?? {}) as Partial<StreamTokenClaims>;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('The stream token is not valid.');
    if (exp * 1000 <= this.now()) throw invalid('The stream token has expired; ask POST /stream/token for a new one.');
    // Issued under READ_ACCESS=open without a key: it names no one, so it opens nothing here.
    const key = typeof name === 'string' ? this.keys.named(name) : undefined;
    if (!key) throw invalid('The stream token names no API key of this server; ask POST /stream/token for a new one with a key.');
    return key;
  }
}

const invalid = (detail: string) => new Problem(401, 'Unauthorized', detail);
