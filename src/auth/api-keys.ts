// API keys (owns: who may write, as which role). Secrets are kept only as SHA-256 hashes and
// compared in constant time. With no API_KEYS, one admin key is generated on first start,
// printed once, and only its hash is kept in the data folder.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ApiKeyConfig } from '../config/config.js';

export type Role = 'editor' | 'admin';

export interface ApiKey {
  name: string;
  role: Role;
  hash: Buffer;
}

// One-shot hash: it runs on every authenticated request, and a Hash object costs more than the digest.
export const hashSecret = (secret: string) => hash('sha256', secret, 'buffer');

export class ApiKeys {
  constructor(private readonly keys: ApiKey[]) {}

  /** The key whose secret this is, comparing every key in constant time so timing reveals nothing. */
  find(secret: string): ApiKey | undefined {
    const hash = hashSecret(secret);
    let match: ApiKey | undefined;
    for (const key of this.keys) if (timingSafeEqual(key.hash, hash) && !match) match = key;
    return match;
  }

  /** The key of this name (a stream token names its key: stream-token.ts). */
  named(name: string): ApiKey | undefined {
    return this.keys.find((k) => k.name === name);
  }

  /** Every key's hash: what the stream tokens' secret is derived from (stream-token.ts). */
  get hashes(): Buffer[] {
    return this.keys.map((k) => k.hash);
  }

  get size(): number {
    return this.keys.length;
  }
}

export const FIRST_RUN_KEY_FILE = 'admin-key.json';

export async function loadApiKeys(configured: ApiKeyConfig[] | undefined, dataDir: string, announce: (secret: string, file: string) => void): Promise<ApiKeys> {
  if (configured?.length) return new ApiKeys(configured.map((k) => ({ name: k.name, role: k.role, hash: hashSecret(k.secret) })));
  const file = path.join(dataDir, FIRST_RUN_KEY_FILE);
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { name: string; role: Role; sha256: string };
    return new ApiKeys([{ name: stored.name, role: stored.role, hash: Buffer.from(stored.sha256, 'hex') }]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = `sp_${randomBytes(24).toString('base64url')}`;
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  try {
    await writeFile(file, JSON.stringify({ name: 'admin', role: 'admin', sha256: hashSecret(secret).toString('hex') }, null, 2), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another server sharing this data folder generated the key first: use that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadApiKeys(configured, dataDir, announce);
    throw error;
  }
  announce(secret, file);
  return new ApiKeys([{ name: 'admin', role: 'admin', hash: hashSecret(secret) }]);
}
