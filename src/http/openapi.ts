// GET /docs and /docs-json: the OpenAPI document, built from the code: the routes and their
// decorators (api-docs.ts), every event type's request schema from the catalogue's zod
// definitions (the same ones that validate requests), and every answer's schema from answers.ts
// (checked at compile time against the views' types). `npm run openapi` writes the same document
// without a database (openApiDocument below).
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { AppModule } from '../app.module.js';
import type { ApiKeys } from '../auth/api-keys.js';
import { EVENT_DEFINITIONS, envelopeSchema } from '../catalogue/catalogue.js';
import { loadConfig } from '../config/config.js';
import { answerComponents } from './answers.js';

const DESCRIPTION =
  'Event-sourced tracking of a diplomatic negotiation from the news. Every development is appended once, with its sources; ' +
  'positions, proposals, agreements, the timeline and status are projections of that log, readable now, as of any day (`asOf`) and as known on any day (`knownAt`). ' +
  'Unknown fields and unknown query parameters are rejected, not ignored. Errors are application/problem+json (RFC 9457) with the offending field paths.\n\n' +
  'Writes need `Authorization: Bearer <key>` (an editor key appends, an admin key also registers and rebuilds). Reads are open, unless the server runs with ' +
  'READ_ACCESS=key: then they need a key of any role too (`/health` and `/metrics` stay open).';

/** The OpenAPI document of a Nest app built from AppModule (started or not). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Standpoint')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .setLicense('UNLICENSED (private: no licence is granted)', 'https://docs.npmjs.com/cli/configuring-npm/package-json#license')
    .addServer('/', 'The server this document came from')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: undefined, description: 'An API key (opaque, not a JWT): one of API_KEYS, or the admin key generated on the first start' }, 'bearer')
    .build();
  delete config.info.contact; // empty
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '').replace(/^./, (c) => c.toLowerCase())}_${method}`,
  });
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, ...requestComponents(), ...storedEventOneOf(answerComponents()) };
  return document;
}

/** Serves the document at /docs-json and Swagger UI at /docs. */
export function setUpOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return document;
}

/**
 * The same document without a database or a server: the app is built in preview mode, which
 * registers the routes but instantiates no provider (the stand-ins below are never touched).
 */
export async function openApiDocument(): Promise<OpenAPIObject> {
  const unused = Object.freeze({});
  const app = await NestFactory.create(
    AppModule.forRoot({ config: loadConfig({}), dataSource: unused as DataSource, databaseUrl: '', apiKeys: unused as ApiKeys }),
    new FastifyAdapter(),
    { preview: true, logger: false, abortOnError: false },
  );
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** The request envelopes: EventEnvelope, one of the catalogue's event types, each by its name. */
function requestComponents(): Record<string, object> {
  const generated = z.toJSONSchema(envelopeSchema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'any' });
  const json = JSON.parse(JSON.stringify(generated).replaceAll('#/definitions/', '#/components/schemas/')) as Record<string, unknown>;
  const { definitions, ...envelope } = json as { definitions?: Record<string, object> };
  return {
    ...definitions,
    EventEnvelope: {
      ...envelope,
      description: `One development. \`type\` is one of: ${EVENT_DEFINITIONS.map((d) => d.type).join(', ')}.`,
      discriminator: { propertyName: 'type', mapping: Object.fromEntries(EVENT_DEFINITIONS.map((d) => [d.type, `#/components/schemas/${d.type}`])) },
    },
  };
}

/** A stored event is exactly one of the types (zod says anyOf), told apart by `type`. */
function storedEventOneOf(components: Record<string, object>): Record<string, object> {
  const { anyOf, ...rest } = components.StoredEvent as { anyOf: object[] };
  return {
    ...components,
    StoredEvent: {
      ...rest,
      oneOf: anyOf,
      discriminator: { propertyName: 'type', mapping: Object.fromEntries(EVENT_DEFINITIONS.map((d) => [d.type, `#/components/schemas/Stored${d.type}`])) },
    },
  };
}
