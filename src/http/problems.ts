// Domain errors as plain classes; ProblemFilter turns them into RFC 9457 problem+json.
import type { z } from 'zod';
import { fieldErrors, type FieldError } from '../catalogue/catalogue.js';

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export class InvalidInput extends Problem {
  constructor(readonly errors: FieldError[], detail = 'The request is not valid; see errors for the fields at fault.') {
    super(400, 'Invalid input', detail, { errors });
  }
}

/** The input as `schema` parses it, or 400 with a field error per issue (paths after `prefix`). */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidInput(fieldErrors(result.error, prefix));
}

export class NotFound extends Problem {
  constructor(detail: string) {
    super(404, 'Not found', detail);
  }
}

export class Conflict extends Problem {
  constructor(detail: string, extra: Record<string, unknown> = {}) {
    super(409, 'Conflict', detail, extra);
  }
}
