// Owns the security headers every answer carries: helmet's defaults plus the page's CSP.
import helmet, { type HelmetOptions } from 'helmet';

// Swagger UI at /docs needs its inline bootstrap script and styles.
const OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] } },
};

/**
 * The headers helmet would set, worked out once at start-up. None of them depends on the
 * request (no CSP nonces), and @fastify/helmet rebuilt helmet's middleware for every request:
 * 6-17% of the server's CPU under load (bench/README.md).
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let done = false;
  helmet(OPTIONS)({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error;
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously; its headers cannot be precomputed');
  return headers;
}
