import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
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

/** CORS from CORS_ORIGINS, helmet's security headers, and the request id, on every response. */
export async function registerHttpHardening(app: NestFastifyApplication, config: AppConfig, docsPath: string): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
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

  await app.register(helmet, {
    // Set per response below: Swagger UI needs a wider one than the JSON routes.
    contentSecurityPolicy: false,
    // HSTS only where the issuer is https: over plain HTTP it would be ignored, or worse, cached
    // for a host that also serves https elsewhere.
    hsts: config.issuer.startsWith('https://') ? { maxAge: 63072000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (!reply.hasHeader('content-security-policy')) {
      const path = request.url.split('?')[0];
      reply.header('content-security-policy', path === docsPath || path.startsWith(`${docsPath}/`) ? DOCS_CSP : API_CSP);
    }
    done(null, payload);
  });
}
