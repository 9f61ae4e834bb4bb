// The OpenAPI decorators the controllers share (owns: how an operation documents its access, its
// answers and its errors). Response bodies refer to the components of answers.ts by name; the
// names are checked at compile time.
import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiQuery, ApiResponse, ApiSecurity, getSchemaPath, type ContentObject, type HeadersObject } from '@nestjs/swagger';
import { EVENT_TYPES } from '../catalogue/catalogue.js';
import { SLUG } from '../catalogue/primitives.js';
import type { AnswerName } from './answers.js';

export const PROBLEM_JSON = 'application/problem+json';

export const RETRY_AFTER: HeadersObject = { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } } };

/** When each problem status is answered; the problem's `detail` says which case it is. */
const PROBLEMS = {
  400: 'Bad input: a malformed or unknown query parameter, or a body that is not valid; `errors` names each field at fault',
  401: 'No API key, or not a valid one',
  403: 'The API key is not an admin key',
  404: 'Not on record (in this view)',
  409: 'Conflict: the same id with a different body, a stale `expectedVersion` (with `currentPosition`), or a slug taken already',
  413: 'The body is larger than BODY_LIMIT',
  415: 'The body is not JSON in UTF-8',
  429: 'More than RATE_LIMIT_PER_MINUTE requests in a minute from this client',
  503: 'The database cannot be reached, or (a write) has no room to store it now: nothing was stored',
} as const;

export type ProblemStatus = keyof typeof PROBLEMS;

/** The problem+json answers an operation can give, each with why (a status alone: the usual reasons). */
export const Problems = (...answers: (ProblemStatus | { status: ProblemStatus; description: string })[]) => {
  const described = new Map<ProblemStatus, string>();
  for (const a of answers) {
    if (typeof a === 'number') {
      if (!described.has(a)) described.set(a, PROBLEMS[a]);
    } else described.set(a.status, a.description);
  }
  return applyDecorators(
    ...[...described].map(([status, description]) =>
      ApiResponse({
        status,
        description,
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
        content: { [PROBLEM_JSON]: { schema: { $ref: getSchemaPath('Problem' satisfies AnswerName) } } },
      }),
    ),
  );
};

/** A JSON answer whose body is the named component of answers.ts (`also`: the other forms it may take, by media type). */
export const Answer = (status: number, schema: AnswerName, description: string, { headers, also }: { headers?: HeadersObject; also?: ContentObject } = {}) =>
  ApiResponse({ status, description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: { $ref: getSchemaPath(schema) } }, ...also } });

/** The schema of one of the components of answers.ts, to describe another form of an answer. */
export const answerRef = (schema: AnswerName) => ({ $ref: getSchemaPath(schema) });

/**
 * A read: open by default, a key of any role under READ_ACCESS=key (401 without one). Every
 * route refuses unknown query parameters (400), counts against the rate limit (429) and needs
 * the database (503).
 */
export const ReadAccess = (...also: Parameters<typeof Problems>) =>
  applyDecorators(
    ApiSecurity({}),
    ApiBearerAuth(),
    ApiQuery({
      name: 'minPosition',
      required: false,
      description: 'Read your own writes: wait (up to READ_WAIT_MS) until the answer reflects this log position — the `position` a POST answered; 503 with Retry-After past that.',
      schema: { type: 'integer', minimum: 0 },
    }),
    Problems(400, { status: 401, description: 'Only under READ_ACCESS=key: no API key, or not a valid one' }, ...also, 429, 503),
  );

/** A read open whatever READ_ACCESS says (health, metrics): no key is asked for or looked at. */
export const OpenAccess = (...also: Parameters<typeof Problems>) => applyDecorators(ApiSecurity({}), Problems(400, ...also, 429));

/** A read that needs an admin key whatever READ_ACCESS says. */
export const AdminReadAccess = () => applyDecorators(ApiBearerAuth(), Problems(400, 401, 403, 429, 503));

/** A write: a bearer key always; `admin` routes refuse an editor's key (403). */
export const WriteAccess = (role: 'editor' | 'admin', ...also: Parameters<typeof Problems>) =>
  applyDecorators(ApiBearerAuth(), Problems(400, 401, ...(role === 'admin' ? ([403] as const) : []), ...also, 413, 415, 429, 503));

// ---- Parameters -----------------------------------------------------------------------------

/** A date (`2023-12-19`, a whole day) or a date-time with offset (`2023-12-19T14:00:00+02:00`). */
export const MOMENT_SCHEMA = {
  anyOf: [
    { type: 'string', format: 'date' },
    { type: 'string', format: 'date-time' },
  ],
};

const SLUG_SCHEMA = { type: 'string', pattern: SLUG.source, maxLength: 64 };

/** An actor or issue slug in the query. */
export const SlugQuery = (name: 'actor' | 'issue', description: string, required = false) =>
  ApiQuery({ name, required, description, schema: { ...SLUG_SCHEMA, example: name === 'actor' ? 'hamas' : 'permanent-ceasefire' } });

/** An actor slug or another id in the path. */
export const SlugParam = (name: string, description: string, example: string) => ApiParam({ name, description, schema: { ...SLUG_SCHEMA, example } });
export const IdParam = (name: string, description: string, example: string) =>
  ApiParam({ name, description, schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$', example } });
export const EventIdParam = () => ApiParam({ name: 'id', description: 'The event id', schema: { type: 'string', format: 'uuid' } });

/** A date or date-time in the query. */
export const MomentQuery = (name: string, description: string) => ApiQuery({ name, required: false, description, schema: { ...MOMENT_SCHEMA, example: '2023-12-19' } });

/** A whole number in the query. */
export const IntegerQuery = (name: string, description: string, schema: { minimum: number; maximum?: number; default?: number }) =>
  ApiQuery({ name, required: false, description, schema: { type: 'integer', ...schema } });

/** A yes/no switch in the query (`true` or `false`). */
export const FlagQuery = (name: string, description: string) => ApiQuery({ name, required: false, description, schema: { type: 'boolean', default: false } });

/** One event type in the query. */
export const EventTypeQuery = (description: string) => ApiQuery({ name: 'type', required: false, description, schema: { type: 'string', enum: EVENT_TYPES } });
