// Current answers on a bare Fastify (no Nest, no database): a route that opted in is answered
// ahead of Fastify for a few milliseconds after a plain request went the long way; anything
// that is not plain, another URL, or a stale answer goes the long way again.
import http from 'node:http';
import compress from '@fastify/compress';
import Fastify, { type FastifyInstance } from 'fastify';
import { CURRENT, CurrentAnswers } from './current-answers.js';

// Kept for longer than in the server, so that a busy machine's pauses do not send a burst the long way.
const FRESH_MS = 500;

describe('current answers', () => {
  let fastify: FastifyInstance;
  let url: string;
  let handled = 0;
  const observed: string[] = [];

  beforeAll(async () => {
    const answers = new CurrentAnswers(true, { freshMs: FRESH_MS });
    answers.observeWith((method, route, status) => observed.push(`${method} ${route} ${status}`));
    fastify = Fastify({
      serverFactory: (handler) =>
        http.createServer((request, response) => {
          if (!answers.serve(request, response)) handler(request, response);
        }),
    });
    await fastify.register(compress, { global: true, threshold: 1024 });
    answers.keepFrom(fastify);
    fastify.get('/answer/:n', { config: CURRENT }, async (_request, reply) => {
      handled++;
      reply.header('x-answer', 'kept').type('application/json');
      return Buffer.from(JSON.stringify({ answer: 'x'.repeat(2000) }));
    });
    fastify.get('/other', async () => ({ handled: ++handled }));
    url = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => fastify.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { headers: { 'accept-encoding': 'identity', ...headers } });
  const burst = async (path: string, headers: Record<string, string> = {}) => {
    const before = handled;
    await get(path, headers); // the long way: kept
    const replies = await Promise.all(Array.from({ length: 10 }, () => get(path, headers)));
    return { handled: handled - before, replies };
  };

  it('serves the requests that follow a plain one from what it was sent, headers and all', async () => {
    const { handled: n, replies } = await burst('/answer/1');
    expect(n).toBeLessThan(11);
    expect(observed.filter((o) => o === 'GET /answer/:n 200')).toHaveLength(11 - n);
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect(r.headers.get('x-answer')).toBe('kept');
      expect(((await r.json()) as { answer: string }).answer).toHaveLength(2000);
    }
  });

  it('sends the long way a request with a key, a condition or a query, and a route that did not opt in', async () => {
    expect((await burst('/answer/2', { authorization: 'Bearer k' })).handled).toBe(11);
    expect((await burst('/answer/2', { 'if-none-match': '"x"' })).handled).toBe(11);
    expect((await burst('/answer/2?limit=1')).handled).toBe(11);
    expect((await burst('/other')).handled).toBe(11);
  });

  it('keeps a compressed answer as it was compressed, for the clients that ask for that encoding', async () => {
    const { handled: n, replies } = await burst('/answer/4', { 'accept-encoding': 'gzip' });
    expect(n).toBeLessThan(11);
    for (const r of replies) expect([r.headers.get('content-encoding'), ((await r.json()) as { answer: string }).answer.length]).toEqual(['gzip', 2000]);
    const identity = await get('/answer/4');
    expect([identity.headers.get('content-encoding'), ((await identity.json()) as { answer: string }).answer.length]).toEqual([null, 2000]);
  });

  it("takes part in per-client counting: its headers are each request's own, and a request it refuses goes the long way", async () => {
    let counted = 0;
    const counting = new CurrentAnswers(true, { freshMs: FRESH_MS, counting: { headers: ['x-count'], count: () => (++counted <= 5 ? ['x-count', String(counted)] : undefined) } });
    const server = http.createServer((request, response) => {
      if (!counting.serve(request, response)) {
        handled++;
        response.writeHead(200, { 'x-count': 'long way', 'content-type': 'text/plain' }).end('answer');
      }
    });
    // What the long way sent, kept as the onSend hook would keep it.
    (counting as unknown as { keep(key: string, route: string, sent: Record<string, unknown>, body: Buffer): void }).keep('/counted\n*/*\nidentity', '/counted', { 'x-count': 'long way', 'content-type': 'text/plain' }, Buffer.from('answer'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const at = `http://127.0.0.1:${(server.address() as { port: number }).port}/counted`;
      const before = handled;
      const replies = [];
      for (let i = 0; i < 7; i++) replies.push(await fetch(at, { headers: { accept: '*/*', 'accept-encoding': 'identity' } }));
      expect(replies.map((r) => r.headers.get('x-count'))).toEqual(['1', '2', '3', '4', '5', 'long way', 'long way']);
      expect(handled - before).toBe(2);
    } finally {
      server.closeAllConnections(); // fetch keeps its connection alive: close would wait for it
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('goes the long way again once the kept answer is older than it is kept for', async () => {
    await get('/answer/3');
    await new Promise((r) => setTimeout(r, FRESH_MS + 50));
    const before = handled;
    await get('/answer/3');
    expect(handled).toBe(before + 1);
  });
});
