import cors from '@fastify/cors';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/config';

/** The request being served, for log lines written on its behalf (see logging.ts). */
export const requestContext = new AsyncLocalStorage<{ readonly requestId: string }>();

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * X-Request-Id: a caller's (or proxy's) id is kept when it is sane, bounded and of safe
 * characters, so it can be followed through logs; anything else gets a new one, so no caller
 * can write arbitrary text into every log line of its request.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

// No HTML is served except Swagger UI, so everything else may load nothing and be framed nowhere.
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
// Swagger UI: its scripts and stylesheet are files of /docs, its page carries inline <style>
// blocks (and the UI sets inline styles), its images are data: SVGs, and it fetches /docs-json.
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * helmet's headers for these options, computed once by running its middleware against a
 * recorder. Its values depend on the options alone, never on the request, so setting the
 * recorded set on each response is what @fastify/helmet does per request, without running a
 * dozen middlewares and Node's setHeader checks on every answer (measured: bench/verify-cpu.js).
 */
export function helmetHeaders(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => (failure = err));
  if (failure) throw failure;
  return Object.freeze(headers);
}

/** The security headers of each response: helmet's, with the CSP of the route's kind. */
export function securityHeaders(config: Pick<AppConfig, 'issuer'>): { readonly api: Record<string, string>; readonly docs: Record<string, string> } {
  const common = helmetHeaders({
    // Chosen per response below: Swagger UI needs a wider one than the JSON routes.
    contentSecurityPolicy: false,
    // HSTS only where the issuer is https: over plain HTTP it would be ignored, or worse, cached
    // for a host that also serves https elsewhere.
    strictTransportSecurity: config.issuer.startsWith('https://') ? { maxAge: 63072000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  return {
    api: { ...common, 'content-security-policy': API_CSP },
    docs: { ...common, 'content-security-policy': DOCS_CSP },
  };
}

/**
 * The request id, helmet's headers and the content-security policy in one onRequest hook, and
 * CORS from CORS_ORIGINS. A route that serves other content may set its own policy afterwards.
 */
export async function registerHttpHardening(app: NestFastifyApplication, config: AppConfig, docsPath: string): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const headers = securityHeaders(config);
  const docsPrefix = `${docsPath}/`;
  fastify.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    const docs = url.startsWith(docsPath) && (url.length === docsPath.length || url.startsWith(docsPrefix) || url[docsPath.length] === '?');
    reply.headers(docs ? headers.docs : headers.api).header('x-request-id', request.id);
    requestContext.enterWith({ requestId: request.id });
    done();
  });

  const allowed = new Set(config.corsOrigins);
  await app.register(cors, {
    // Only listed origins, each answered with itself (never "*"), so credentials are allowed
    // for exactly those; any other origin gets no CORS header at all. Vary: Origin always.
    origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin) ? origin : false),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-api-key', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'www-authenticate', 'retry-after'],
    maxAge: 600,
    strictPreflight: true,
  });
}
