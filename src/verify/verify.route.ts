import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Decision, VerifyService } from './verify.service';

export const VERIFY_PATH = '/verify';

/**
 * With this request header (set by the shipped nginx config), a refusal nginx's auth_request
 * cannot pass on (anything but 401 and 403 becomes a 500 there) is answered 403 with the real
 * status in X-Auth-Status, for the config's error_page to restore (contract 2.6).
 */
const REDIRECT_STATUS_HEADER = 'x-auth-request-redirect-status';

const DESCRIPTIONS: Record<string, string> = {
  invalid_token: 'The access token is invalid, expired or revoked.',
  invalid_request: 'The request carries more than one credential.',
  insufficient_scope: 'The access token does not carry the scope this request needs.',
  temporarily_unavailable: 'The service is temporarily unavailable; try again later.',
  access_denied: 'This credential may not be used from this address.',
  rate_limited: 'Too many requests for this quota; retry after Retry-After seconds.',
};

/**
 * GET /verify for nginx auth_request (X-Original-URI, X-Original-Method) and Traefik
 * ForwardAuth (X-Forwarded-Uri, X-Forwarded-Method), answering 204; and /verify/<path> with
 * the original method for Envoy ext_authz in HTTP mode, answering 200. A plain Fastify route,
 * like the JWKS: it is the hottest path of the service, and costs no query for a known
 * credential. Successful decisions are not access-logged (the proxy logs the request itself);
 * refusals are.
 */
export function registerVerifyRoute(fastify: FastifyInstance, verify: VerifyService): void {
  const handle = (request: FastifyRequest, reply: FastifyReply, pathForm: boolean) => {
    const h = request.headers;
    const prefixLength = VERIFY_PATH.length;
    const decision = verify.decide({
      authorization: h.authorization,
      apiKey: single(h['x-api-key']),
      ip: () => request.ip,
      realIp: single(h['x-real-ip']),
      methods: pathForm ? [request.method, single(h['x-original-method']), single(h['x-forwarded-method'])] : [single(h['x-original-method']), single(h['x-forwarded-method'])],
      uris: pathForm ? [request.url.slice(prefixLength), single(h['x-original-uri']), single(h['x-forwarded-uri'])] : [single(h['x-original-uri']), single(h['x-forwarded-uri'])],
    });
    const redirect = single(h[REDIRECT_STATUS_HEADER]) === '403';
    if (decision instanceof Promise) {
      return decision.then(
        (d) => send(reply, d, pathForm, redirect),
        () => send(reply, { kind: 'unavailable', detail: 'unexpected' }, pathForm, redirect, 500),
      );
    }
    send(reply, decision, pathForm, redirect);
    return reply;
  };
  // Envoy forwards the original request's method and, unless told otherwise, no body; a body
  // that does arrive is not read.
  fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req: unknown, payload: NodeJS.ReadableStream, done: (err: null, body?: unknown) => void) => {
      payload.resume();
      payload.on('end', () => done(null));
    });
    scope.route({ method: ['GET', 'HEAD'], url: VERIFY_PATH, handler: (req, reply) => handle(req, reply, false) });
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: `${VERIFY_PATH}/*`,
      handler: (req, reply) => handle(req, reply, true),
    });
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function send(reply: FastifyReply, decision: Decision, pathForm: boolean, redirect: boolean, forced?: number): FastifyReply {
  reply.header('cache-control', 'no-store');
  if (decision.kind === 'allow') {
    const { credential } = decision;
    reply
      .header('x-auth-subject', credential.sub)
      .header('x-auth-tenant', credential.tenant.slug)
      .header('x-auth-tenant-id', credential.tenant.id)
      .header('x-auth-scope', credential.scopes.join(' '))
      .header('x-auth-client', credential.clientId);
    if (decision.quota) reply.header('x-ratelimit-limit', decision.quota.limit).header('x-ratelimit-remaining', decision.quota.remaining);
    // Envoy's ext_authz allows only on 200; nginx and Traefik take any 2xx.
    return reply.code(pathForm ? 200 : 204).send();
  }
  reply.header('content-type', 'application/json; charset=utf-8');
  if (decision.kind === 'unauthenticated') {
    // RFC 6750 §3.1: no credential at all gets a challenge without an error code.
    const error = decision.error ? `, error="${decision.error}"` : '';
    reply.header('www-authenticate', `Bearer realm="tessera"${error}`);
    const code = decision.error ?? 'invalid_token';
    return reply.code(401).send({ error: code, error_description: DESCRIPTIONS[code] });
  }
  if (decision.kind === 'forbidden') {
    const scope = decision.scopes.length ? `, scope="${decision.scopes.join(' ')}"` : '';
    reply.header('www-authenticate', `Bearer realm="tessera", error="insufficient_scope"${scope}`);
    return reply.code(403).send({ error: 'insufficient_scope', error_description: DESCRIPTIONS.insufficient_scope });
  }
  if (decision.kind === 'denied') {
    // The credential is valid; it is the place it is used from that is refused (allowedIps). No
    // RFC 6750 error code fits (insufficient_scope would send the client after a scope that
    // cannot help), so the challenge carries none and the body says access_denied.
    reply.header('www-authenticate', 'Bearer realm="tessera"');
    return reply.code(403).send({ error: 'access_denied', error_description: DESCRIPTIONS.access_denied });
  }
  if (decision.kind === 'rate_limited') {
    // Contract 2.7. Through nginx (the redirect header) a 403 naming the 429, which the shipped
    // config's error_page turns back into one with these headers.
    reply
      .header('retry-after', decision.retryAfter)
      .header('x-ratelimit-limit', decision.quota.limit)
      .header('x-ratelimit-remaining', decision.quota.remaining);
    const body = { error: 'rate_limited', error_description: DESCRIPTIONS.rate_limited };
    if (redirect) return reply.code(403).header('x-auth-status', '429').send(body);
    return reply.code(429).send(body);
  }
  const status = forced ?? 503;
  reply.header('retry-after', '5');
  const body = { error: 'temporarily_unavailable', error_description: DESCRIPTIONS.temporarily_unavailable };
  if (redirect) return reply.code(403).header('x-auth-status', String(status)).send(body);
  return reply.code(status).send(body);
}
