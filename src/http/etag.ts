// Conditional reads (owns: ETag and If-None-Match). Every successful read answer carries a weak
// ETag naming exactly what it says: a digest of the answer itself, which changes when — and only
// when — the log position it reflects, the view asked for or the registries change what it
// says. A client that sends it back as If-None-Match gets 304 and no body. The answers for "now"
// are the same Buffer for every request until the read models move (positions.reader.ts), so their
// tag is worked out once per answer, not once per request.
import { hash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

const tags = new WeakMap<Buffer, string>();

function tagOf(payload: Buffer | string): string {
  if (typeof payload === 'string') return `W/"${hash('sha1', payload, 'base64url')}"`;
  let tag = tags.get(payload);
  if (!tag) tags.set(payload, (tag = `W/"${hash('sha1', payload, 'base64url')}"`));
  return tag;
}

/** Whether an If-None-Match header names this tag (a list, or `*`). */
function matches(header: string, tag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === tag.replace(/^W\//, ''));
}

export function conditionalReads(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (request.method !== 'GET' || reply.statusCode !== 200 || !(typeof payload === 'string' || Buffer.isBuffer(payload))) return done(null, payload);
    const tag = tagOf(payload);
    reply.header('etag', tag);
    const asked = request.headers['if-none-match'];
    if (asked && matches(asked, tag)) {
      reply.code(304);
      reply.removeHeader('content-length');
      return done(null, '');
    }
    done(null, payload);
  });
}
