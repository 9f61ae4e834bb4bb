// Builds a running Standpoint: database (embedded or DATABASE_URL), migrations, keys, the Nest
// app on Fastify. main.ts and the tests both start the server through here.
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import compress from '@fastify/compress';
import { ConsoleLogger, Logger, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module.js';
import { loadApiKeys } from './auth/api-keys.js';
import { authenticate } from './auth/auth.guard.js';
import type { Config } from './config/config.js';
import { createDataSource, databaseUrlFailure, migrate, startDatabaseServer } from './database/database.js';
import { acceptJsonBodiesOnly } from './http/json-body.js';
import { clientCounts, countAhead, limitRequests, RATE_HEADERS, trustProxy } from './http/rate-limit.js';
import { conditionalReads } from './http/etag.js';
import { describe, sendProblem } from './http/problem.filter.js';
import { setUpOpenApi } from './http/openapi.js';
import { observeRequests, requestLog } from './http/request-observer.js';
import { CurrentAnswers } from './http/current-answers.js';
import { apiHeaders, documentHeaders, isDocsPage, securityHeaders } from './http/security-headers.js';
import { Metrics } from './metrics/metrics.service.js';

export interface RunningServer {
  app: NestFastifyApplication;
  url: string;
  databaseUrl: string;
  close(): Promise<void>;
}

const LEVELS: Record<Config['LOG_LEVEL'], LogLevel[]> = {
  silent: [],
  error: ['error', 'fatal'],
  warn: ['error', 'fatal', 'warn'],
  log: ['error', 'fatal', 'warn', 'log'],
  debug: ['error', 'fatal', 'warn', 'log', 'debug', 'verbose'],
};

export interface ServerOptions {
  /** Controllers added beside the API's (the benchmarks' baseline route, bench/baseline-server.ts). */
  extraControllers?: Type[];
  /** Runs on the Fastify instance before the server listens (raw routes a benchmark compares with). */
  beforeListen?: (fastify: FastifyInstance) => void;
}

export async function startServer(config: Config, announceKey = defaultAnnounce, options: ServerOptions = {}): Promise<RunningServer> {
  // One JSON object a line, or lines for a person (LOG_FORMAT; by default text at a terminal).
  // Nothing logged carries a key: the request log (REQUEST_LOG) names the key a request used,
  // never the key, headers are not logged, and the first-run key goes to stdout once.
  // Colours only for a terminal: text lines going to a file or a collector stay plain.
  const json = config.LOG_FORMAT === 'json';
  const consoleLogger = new ConsoleLogger({ json, colors: !json && process.stdout.isTTY === true && !process.env.NO_COLOR, logLevels: LEVELS[config.LOG_LEVEL], flattenParams: true });
  Logger.overrideLogger(consoleLogger);
  const logger = new Logger('standpoint');
  const database = await startDatabaseServer(config.DATABASE_URL, config.DATA_DIR, (line) => logger.debug(line.trimEnd()));
  if (database.embedded) logger.log(`embedded PostgreSQL running under ${config.DATA_DIR}`);
  const dataSource = createDataSource(database.url);
  const readDataSource = config.READ_DATABASE_URL ? createDataSource(config.READ_DATABASE_URL) : undefined;
  try {
    await dataSource.initialize().catch((error: unknown) => {
      if (database.embedded) throw error;
      // A wrong DATABASE_URL is a configuration mistake: say so, naming it (password masked), no stack.
      const connected = Boolean((dataSource.driver as unknown as { master?: unknown }).master);
      throw databaseUrlFailure(database.url, error, connected);
    });
    await migrate(dataSource);
    // Reads from a hot standby when one is configured: it replays what the primary migrated.
    if (readDataSource) await readDataSource.initialize();
    const apiKeys = await loadApiKeys(config.API_KEYS, config.DATA_DIR, announceKey);
    const headers = apiHeaders();
    const docsHeaders = securityHeaders(true);
    const htmlHeaders = documentHeaders();
    // Kept answers need no per-request look at a key or a log line; they take part in the rate limit.
    const counts = clientCounts(config);
    const currentAnswers = new CurrentAnswers(config.READ_ACCESS === 'open' && !config.REQUEST_LOG, {
      counting: counts && { headers: RATE_HEADERS, count: countAhead(counts, config.TRUST_PROXY) },
    });
    const adapter = new FastifyAdapter({
      bodyLimit: config.BODY_LIMIT,
      onProtoPoisoning: 'error',
      onConstructorPoisoning: 'error',
      return503OnClosing: true,
      // Behind a proxy: believe it (and only it) about who the client is (rate limits, logs).
      trustProxy: trustProxy(config.TRUST_PROXY),
      // A client that announces a body and never sends it is cut off (408), not held for ever.
      // Node checks the deadline on an interval (30 s by default, which would double it).
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      // A plain GET for a current answer is served before Fastify sees it (current-answers.ts).
      serverFactory: (handler: http.RequestListener) =>
        http.createServer({ requestTimeout: config.REQUEST_TIMEOUT_MS, connectionsCheckingInterval: Math.min(1000, config.REQUEST_TIMEOUT_MS / 4) }, (request, response) => {
          if (!currentAnswers.serve(request, response)) handler(request, response);
        }),
      // Errors Fastify answers before any route or hook runs (a malformed percent-encoding).
      frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void sendProblem(reply.headers(headers), request.url, describe(error)),
    });
    const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, dataSource, readDataSource, databaseUrl: database.url, apiKeys, extraControllers: options.extraControllers }), adapter, {
      logger: consoleLogger,
      bodyParser: false,
    });
    const fastify = app.getHttpAdapter().getInstance();
    // gzip or brotli (as the client's Accept-Encoding prefers) for answers of 1 KiB and more:
    // JSON, problem+json, the page's files, /metrics. Registered (and awaited) before any route,
    // since it attaches itself to each route as the route is added. GET /stream takes over the
    // raw response (hijack), which no onSend hook sees: its events go out as they are written,
    // never buffered (text/event-stream is not in the compressible types either). Bodies sent
    // compressed are not accepted: the one body parser takes JSON as it is (json-body.ts).
    await app.register(compress, { global: true, threshold: 1024, encodings: ['br', 'gzip'], globalDecompression: false });
    await limitRequests(app, counts);
    conditionalReads(fastify);
    acceptJsonBodiesOnly(fastify, config.BODY_LIMIT);
    // Per answer, after it has gone: the metrics' counters and timings, and the request log.
    const metrics = app.get(Metrics);
    observeRequests(fastify, metrics, config.REQUEST_LOG ? requestLog(consoleLogger, config.LOG_FORMAT) : undefined);
    // Last of the onSend hooks: what it keeps is what compression and the ETag made of the answer.
    currentAnswers.keepFrom(fastify);
    currentAnswers.observeWith((method, route, status, ms) => metrics.observe(method, route, status, ms));
    fastify.addHook('onRequest', (request, reply, done) => {
      reply.headers(isDocsPage(request.url) ? docsHeaders : headers);
      done();
    });
    // The page's HTML also gets the headers that only a document needs (security-headers.ts).
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.headers(htmlHeaders);
      done(null, payload);
    });
    // The OpenAPI document is served by Fastify directly, past Nest's guards: under
    // READ_ACCESS=key it needs a key as every other read does.
    if (config.READ_ACCESS === 'key') {
      fastify.addHook('onRequest', (request, reply, done) => {
        if (!/^\/docs(?:$|[/?-])/.test(request.url)) return done();
        try {
          authenticate(apiKeys, request.headers.authorization, 'reader');
          done();
        } catch (error) {
          sendProblem(reply, request.url, describe(error));
        }
      });
    }
    if (config.CORS_ORIGINS) app.enableCors({ origin: config.CORS_ORIGINS.split(',').map((o) => o.trim()), methods: ['GET', 'POST'] });
    setUpOpenApi(app);
    // The page at / (plain HTML, CSS and ES modules from public/, no build step).
    app.useStaticAssets({ root: publicDir(), prefix: '/', decorateReply: false });
    options.beforeListen?.(fastify);
    await app.listen({ port: config.PORT, host: config.HOST });
    const address = fastify.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    let closing: Promise<void> | undefined;
    return {
      app,
      url,
      databaseUrl: database.url,
      close: () =>
        (closing ??= (async () => {
          await app.close();
          await dataSource.destroy().catch(() => {});
          await readDataSource?.destroy().catch(() => {});
          await database.stop();
        })()),
    };
  } catch (error) {
    await dataSource.destroy().catch(() => {});
    await readDataSource?.destroy().catch(() => {});
    await database.stop();
    throw error;
  }
}

/** public/ beside src/ (tsx) or beside dist/ (the build). */
function publicDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.join(here, '..', 'public'), path.join(here, '..', '..', 'public')].find((dir) => existsSync(path.join(dir, 'index.html'))) ?? path.join(here, '..', 'public');
}

function defaultAnnounce(secret: string, file: string): void {
  // Printed once, on the first start only; the data folder keeps nothing but its hash.
  process.stdout.write(
    `\n  No API_KEYS configured: generated an admin key (shown this once; its hash is in ${file}):\n\n    ${secret}\n\n` +
      `  Write with:  curl -H "Authorization: Bearer ${secret}" ...\n  Lost it? Delete that file and restart to get a new one.\n\n`,
  );
}
