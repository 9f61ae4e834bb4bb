// Owns the security headers every answer carries: helmet's defaults plus the page's CSP.
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The page and the API: scripts and styles from this origin only. No `upgrade-insecure-requests`:
 * served over plain HTTP from another machine (as docker compose serves it), the browser would
 * ask for https:// and load no script or style.
 */
const DIRECTIVES = { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], upgradeInsecureRequests: null };

/** Swagger UI at /docs alone needs its inline bootstrap script and styles. */
const DOCS_DIRECTIVES = { ...DIRECTIVES, scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"] };

/** Whether a request is for Swagger UI (not /docs-json, which is data). */
export const isDocsPage = (url: string) => /^\/docs(?:$|[/?])/.test(url);

/**
 * The headers helmet would set, worked out once at start-up. None of them depends on the
 * request (no CSP nonces), and @fastify/helmet rebuilt helmet's middleware for every request:
 * 6-17% of the server's CPU under load (bench/README.md).
 */
export function securityHeaders(forDocs = false): Record<string, string> {
  const options: HelmetOptions = { contentSecurityPolicy: { directives: forDocs ? DOCS_DIRECTIVES : DIRECTIVES } };
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let done = false;
  helmet(options)({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error;
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously; its headers cannot be precomputed');
  return headers;
}
