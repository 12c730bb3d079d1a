import type { FastifyInstance } from 'fastify';
import type { KeysService } from './keys.service';

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * RFC 7517 JWK Set, served as a plain Fastify route rather than a Nest controller: it is a
 * static, public document fetched by every verifier, and Nest's per-request routing cost about
 * a fifth of its throughput in bench/jwks.js (0.76x a bare Fastify server vs 0.91x as a plain
 * route, on this project's 2-core machine). The body and ETag are precomputed by the key
 * ring whenever the key set changes.
 */
export function registerJwksRoute(fastify: FastifyInstance, keys: KeysService, maxAge: number): void {
  const cacheControl = `public, max-age=${maxAge}`;
  fastify.get(JWKS_PATH, (request, reply) => {
    const ring = keys.ring;
    reply.header('cache-control', cacheControl).header('etag', ring.etag);
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch && matchesEtag(ifNoneMatch, ring.etag)) {
      reply.code(304).send();
      return;
    }
    reply.header('content-type', 'application/json; charset=utf-8').send(ring.jwksBody);
  });
}

/** RFC 9110 §13.1.2: If-None-Match holds "*" or a list of entity tags, compared weakly. */
export function matchesEtag(header: string, etag: string): boolean {
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
