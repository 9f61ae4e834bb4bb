// The bare limit for the HTTP benchmark (bench/http.ts): Node's own http server and nothing
// else. GET answers the very bytes Standpoint answered for the same path (fetched once from
// STANDPOINT_URL at start), POST /events parses the JSON body and does one INSERT into a table
// shaped like the log (raw-limit.ts), answering 201. No framework, no validation, no read model.
import http from 'node:http';
import pg from 'pg';
import { event, rawInsert } from './raw-limit.js';

const standpoint = process.env.STANDPOINT_URL!;
const routes = (process.env.BARE_ROUTES ?? '').split(',').filter(Boolean);
const answers = new Map<string, Buffer>();
for (const route of routes) answers.set(route, Buffer.from(await (await fetch(`${standpoint}${route}`)).arrayBuffer()));
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
pool.on('error', () => {});
let n = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    const body = answers.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    return void res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }).end(body);
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const sent = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: unknown };
    const e = { ...event(n++), data: sent.data };
    rawInsert(pool, [e]).then(
      () => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: e.id })),
      () => res.writeHead(500).end(),
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`bare node:http listening on http://127.0.0.1:${port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close(() => void pool.end().then(() => process.exit(0))));
