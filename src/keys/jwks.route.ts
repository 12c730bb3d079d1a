import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { requestIdOf } from '../common/http-hardening';
import type { KeysService } from './keys.service';

export const JWKS_PATH = '/.well-known/jwks.json';
const CONTENT_TYPE = 'application/json; charset=utf-8';
const cacheControlFor = (maxAge: number) => `public, max-age=${maxAge}`;

/**
 * RFC 7517 JWK Set, served as a plain Fastify route rather than a Nest controller: it is a
 * static, public document fetched by every verifier, and Nest's per-request routing cost about
 * a fifth of its throughput in bench/jwks.js (0.76x a bare Fastify server vs 0.91x as a plain
 * route, on this project's 2-core machine). The body and ETag are precomputed by the key
 * ring whenever the key set changes. The plain GET most verifiers send is answered before
 * Fastify, by directJwks below; this route answers the rest (HEAD, If-None-Match, CORS).
 */
export function registerJwksRoute(fastify: FastifyInstance, keys: KeysService, maxAge: number): void {
  const cacheControl = cacheControlFor(maxAge);
  fastify.get(JWKS_PATH, (request, reply) => {
    const ring = keys.ring;
    reply.header('cache-control', cacheControl).header('etag', ring.etag);
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch && matchesEtag(ifNoneMatch, ring.etag)) {
      reply.code(304).send();
      return;
    }
    reply.header('content-type', CONTENT_TYPE).send(ring.jwksBody);
  });
}

/** RFC 9110 §13.1.2: If-None-Match holds "*" or a list of entity tags, compared weakly. */
export function matchesEtag(header: string, etag: string): boolean {
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Answers a request before Fastify and returns true, or returns false and leaves it to Fastify. */
export type DirectAnswer = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface DirectJwksOptions {
  readonly keys: Pick<KeysService, 'ring'>;
  readonly maxAge: number;
  /** The headers the hardening hook puts on every API answer (apiSecurityHeaders). */
  readonly securityHeaders: Readonly<Record<string, string>>;
  /** True once the app has begun to close: its 503 is Fastify's to give. */
  readonly closing: () => boolean;
  /** Counts each answer (its seconds) as the metrics hook counts Fastify's, under the route, GET and 200. */
  readonly count: (seconds: number) => void;
}

/**
 * The plain `GET /.well-known/jwks.json` answered from node:http's request event, before
 * Fastify: the same bytes and headers the route above gives it (test/keys.e2e-spec.ts compares
 * the two), without Fastify's request and reply objects, route lookup and hooks, which were
 * most of the JWKS's cost per answer once the document itself was precomputed: 1.31x the
 * answers per second and 0.74x the CPU per answer (bench/ab.js jwks, 10 of 10 rounds). A
 * request that needs more than the document goes to the route: another method, a query
 * string, an Origin (CORS), If-None-Match, or any request once the app is closing.
 */
export function directJwks({ keys, maxAge, securityHeaders, closing, count }: DirectJwksOptions): DirectAnswer {
  let etag: string | undefined;
  // A string, not a Buffer: Node then writes the head and the body in one string and one
  // write() instead of a writev of two chunks (bench/ab.js jwks: 0.96x the CPU, 7 of 10 rounds).
  let body = '';
  const headers: Record<string, string> = {};
  return (req, res) => {
    if (req.url !== JWKS_PATH || req.method !== 'GET' || req.headers.origin !== undefined || req.headers['if-none-match'] !== undefined || closing()) return false;
    const started = performance.now();
    const ring = keys.ring;
    if (ring.etag !== etag) {
      etag = ring.etag;
      body = ring.jwksBody;
      // @fastify/cors sends Vary: Origin on every answer, an Origin or not. Content-Length must
      // be given: writeHead settles the framing, and without it the body would go chunked.
      Object.assign(headers, securityHeaders, {
        vary: 'Origin',
        'cache-control': cacheControlFor(maxAge),
        etag,
        'content-type': CONTENT_TYPE,
        'content-length': String(Buffer.byteLength(body)),
      });
    }
    // writeHead reads the object before it returns, so one object serves every answer.
    headers['x-request-id'] = requestIdOf(req);
    res.writeHead(200, headers);
    res.end(body);
    count((performance.now() - started) / 1000);
    return true;
  };
}
