// What a request body may be (owns: the one body parser). JSON in UTF-8 only; every string in it
// storable by PostgreSQL; every number what was written. Anything else is refused before a
// handler sees it: 415 for another media type or charset, 400 naming the field otherwise.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatPath, type FieldError } from '../catalogue/catalogue.js';
import { InvalidInput, Problem } from './problems.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Replaces Fastify's and Nest's parsers (JSON in any charset, form bodies) with this one. */
export function acceptJsonBodiesOnly(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request, body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

function parseJsonBody(request: FastifyRequest, raw: Buffer): unknown {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw unsupported(`The body must be JSON in UTF-8, not ${charset}.`);
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw unsupported('The body is not valid UTF-8; send JSON in UTF-8.');
  }
  if (text.trim() === '') throw new Problem(400, 'Bad request', 'The JSON body is empty.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Problem(400, 'Bad request', `The body is not valid JSON: ${(error as Error).message}`);
  }
  const errors = [...unstorableText(value, []), ...(MAY_UNDERFLOW.test(text) ? underflowingNumbers(text) : [])];
  if (errors.length) throw new InvalidInput(errors);
  return value;
}

const unsupported = (detail: string) => new Problem(415, 'Unsupported media type', detail);

/** Strings (and keys) PostgreSQL cannot store as text or JSONB: a NUL, or half of a surrogate pair. */
function unstorableText(value: unknown, path: (string | number)[]): FieldError[] {
  const at = (p: (string | number)[]) => formatPath(p) || '(body)';
  if (typeof value === 'string') return problemOf(value) ? [{ path: at(path), message: problemOf(value)! }] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unstorableText(item, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const keyProblem = problemOf(key);
      return keyProblem ? [{ path: at([...path, key]), message: `its name ${keyProblem}` }] : unstorableText(item, [...path, key]);
    });
  }
  return [];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function problemOf(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain a lone surrogate (half of a UTF-16 pair, e.g. \\ud800)';
  return undefined;
}

/** A number written with a long negative exponent or many leading zeros may parse as 0 without being 0. */
const MAY_UNDERFLOW = /[eE]-\d|\.0{15}/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?/y;

/**
 * Numbers in the text that JSON.parse turned into 0 though their digits are not all zero
 * (`1e-400`), with the field path of each: a small scan of the (already valid) JSON text that
 * tracks where it is, since the parsed value no longer shows what was written.
 */
function underflowingNumbers(text: string): FieldError[] {
  const errors: FieldError[] = [];
  const stack: { array: boolean; key: string | number; expectKey: boolean }[] = [];
  const path = () => formatPath(stack.map((f) => f.key)) || '(body)';
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '{' || c === '[') {
      stack.push({ array: c === '[', key: 0, expectKey: c === '{' });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      if (top.array) top.key = (top.key as number) + 1;
      else top.expectKey = true;
      i++;
    } else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top && !top.array && top.expectKey) {
        top.key = JSON.parse(text.slice(i, end + 1)) as string;
        top.expectKey = false;
      }
      i = end + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const literal = NUMBER.exec(text)![0];
      if (Number(literal) === 0 && /[1-9]/.test(literal.replace(/[eE].*$/, ''))) errors.push({ path: path(), message: `${literal} is too small to be represented (it would be read as 0)` });
      i += literal.length;
    } else {
      i++; // whitespace, ':', true, false, null
    }
  }
  return errors;
}
