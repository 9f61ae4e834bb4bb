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
 * Helmet's headers that only mean something for a document a browser renders (legacy XSS
 * auditors, DNS prefetching, IE's downloads, Flash's policy files, origin-keyed agent clusters):
 * sent with HTML answers only (`documentHeaders`). Every client of the JSON API would parse
 * them for nothing: five of an answer's seventeen header lines, which a load generator parsing
 * answers one by one pays for in requests a second (bench/README.md).
 */
const DOCUMENT_ONLY = ['origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection'];

/** The security headers of every answer but a document's (see DOCUMENT_ONLY). */
export function apiHeaders(): Record<string, string> {
  return Object.fromEntries(Object.entries(securityHeaders()).filter(([name]) => !DOCUMENT_ONLY.includes(name)));
}

/** What an HTML answer (the page, Swagger UI) carries beyond `apiHeaders`. */
export function documentHeaders(): Record<string, string> {
  return Object.fromEntries(Object.entries(securityHeaders()).filter(([name]) => DOCUMENT_ONLY.includes(name)));
}

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
