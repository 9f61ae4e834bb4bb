// GET /docs and /docs-json: the OpenAPI document, with every event type's schema taken from the
// catalogue's zod definitions (the same ones that validate requests).
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { EVENT_DEFINITIONS, envelopeSchema } from '../catalogue/catalogue.js';

export function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Standpoint')
    .setDescription(
      'Event-sourced tracking of a diplomatic negotiation from the news. Every development is appended once, with its sources; ' +
        'positions, proposals, the timeline and status are projections of that log, readable now, as of any day (`asOf`) and as known on any day (`knownAt`). ' +
        'Unknown fields are rejected, not dropped. Errors are application/problem+json (RFC 9457) with the offending field paths.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const generated = z.toJSONSchema(envelopeSchema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'any' });
  const json = JSON.parse(JSON.stringify(generated).replaceAll('#/definitions/', '#/components/schemas/')) as Record<string, unknown>;
  const { definitions, ...envelope } = json as { definitions?: Record<string, object> };
  document.components ??= {};
  document.components.schemas = {
    ...document.components.schemas,
    ...definitions,
    EventEnvelope: {
      ...envelope,
      description: `One development. \`type\` is one of: ${EVENT_DEFINITIONS.map((d) => d.type).join(', ')}.`,
      discriminator: { propertyName: 'type', mapping: Object.fromEntries(EVENT_DEFINITIONS.map((d) => [d.type, `#/components/schemas/${d.type}`])) },
    } as object,
  };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
