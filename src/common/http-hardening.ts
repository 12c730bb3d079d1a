import cors from '@fastify/cors';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/config';

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

// The JSON routes serve no HTML, so they may load nothing and be framed nowhere. Pages (Swagger
// UI, the console) bring their own policy as a PathArea.
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Paths under `prefix` (the prefix itself, `prefix/...`, `prefix?...`) answer with these headers over helmet's. */
export interface PathArea {
  readonly prefix: string;
  readonly headers: Readonly<Record<string, string>>;
}

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

/** helmet's headers for this service: the same on every response, whatever its route. */
export function baseSecurityHeaders(config: Pick<AppConfig, 'issuer'>): Readonly<Record<string, string>> {
  return helmetHeaders({
    // Chosen per path: the JSON routes, Swagger UI and the console each need their own.
    contentSecurityPolicy: false,
    // HSTS only where the issuer is https: over plain HTTP it would be ignored, or worse, cached
    // for a host that also serves https elsewhere.
    strictTransportSecurity: config.issuer.startsWith('https://') ? { maxAge: 63072000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
}

/** helmet's headers with the JSON routes' content-security policy: what every API answer carries. */
export function apiSecurityHeaders(config: Pick<AppConfig, 'issuer'>): Readonly<Record<string, string>> {
  return Object.freeze({ ...baseSecurityHeaders(config), 'content-security-policy': API_CSP });
}

/** Whether `url` is `prefix`, below it, or it with a query. */
export function underPrefix(url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false;
  const next = url[prefix.length];
  return next === undefined || next === '/' || next === '?';
}

/**
 * The request id, helmet's headers and the content-security policy in one onRequest hook (the
 * first area whose prefix matches wins, else the JSON routes' policy), and CORS from
 * CORS_ORIGINS. One hook with precomputed header sets: it runs on /verify and the JWKS too.
 */
export async function registerHttpHardening(app: NestFastifyApplication, config: AppConfig, areas: readonly PathArea[]): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const base = baseSecurityHeaders(config);
  const api = apiSecurityHeaders(config);
  const sets = areas.map((a) => ({ prefix: a.prefix, headers: { ...base, ...a.headers } }));
  fastify.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    let headers = api;
    for (const area of sets) {
      if (underPrefix(url, area.prefix)) {
        headers = area.headers;
        break;
      }
    }
    reply.headers(headers).header('x-request-id', request.id);
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
