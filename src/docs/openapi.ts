import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, getSchemaPath, SwaggerModule, type OpenAPIObject, type OperationObject, type ResponseObject } from '@nestjs/swagger';
import type { AppConfig } from '../config/config';
import { JWKS_PATH } from '../keys/jwks.route';
import { METRICS_PATH } from '../metrics/metrics.service';
import { VERIFY_PATH } from '../verify/verify.route';
import { TOKEN_PATH } from '../auth/token.route';
import { JsonWebKeySet, OAuthErrorResponse, oauthErrorResponses, OAuthTokenRequest, OAuthTokenResponse } from './oauth.schemas';
import { ProblemResponse } from './problem.schema';
import type { PathArea } from '../common/http-hardening';

export const DOCS_PATH = '/docs';

/**
 * Swagger UI's headers (http-hardening's PathArea): its scripts and stylesheet are files of
 * /docs, its page carries inline <style> blocks (and the UI sets inline styles), its images are
 * data: SVGs, and it fetches /docs-json.
 */
export const DOCS_AREA: PathArea = {
  prefix: DOCS_PATH,
  headers: {
    'content-security-policy':
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  },
};
export const DOCS_JSON_PATH = '/docs-json';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/**
 * Swagger UI at /docs and the OpenAPI document at /docs-json, both public: they are plain
 * Fastify routes, outside the global bearer guard. The document is built on first request
 * (a scan of every controller), not at start-up, since most instances never serve it.
 *
 * With ADMIN_LISTEN set, the document still lists the /admin routes: their shape is no
 * secret (the guard is what protects them), and one document serves the operator reading it
 * on either side. Its description says where they are served.
 */
export function setupOpenApi(app: NestFastifyApplication, config: AppConfig): void {
  const base = new DocumentBuilder()
    .setTitle('Tessera')
    .setDescription(describe(config))
    .setVersion('1')
    .addBearerAuth({ type: 'http', description: 'An access token of this service, from POST /token.' })
    .addBasicAuth({ type: 'http', description: 'Client authentication at the OAuth endpoints: client id and secret, or API key id and key.' })
    .build();
  SwaggerModule.setup(DOCS_PATH, app, () => complete(SwaggerModule.createDocument(app, base, { extraModels: [JsonWebKeySet, ProblemResponse, OAuthErrorResponse, OAuthTokenRequest, OAuthTokenResponse] })), {
    jsonDocumentUrl: DOCS_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Tessera API',
  });
}

function describe(config: AppConfig): string {
  const intro = 'OAuth 2 token service for AI inference servers. Admin JSON is camelCase; errors are RFC 9457 problem+json, except at the OAuth endpoints (RFC 6749 §5.2).';
  if (!config.adminListen) return intro;
  return `${intro}\n\nThis deployment serves the /admin routes only on its admin listener (ADMIN_LISTEN), not on the public port.`;
}

/** What controllers' decorators cannot say: the plain Fastify routes, and the one error shape of every other route. */
export function complete(document: OpenAPIObject): OpenAPIObject {
  document.paths[TOKEN_PATH] = { post: tokenOperation() };
  document.paths[JWKS_PATH] = { get: jwksOperation() };
  document.paths[VERIFY_PATH] = { get: verifyOperation(false) };
  document.paths[METRICS_PATH] = {
    get: {
      tags: ['health'],
      summary: 'Prometheus metrics (text format); on the admin listener when ADMIN_LISTEN is set',
      operationId: 'metrics',
      responses: { '200': { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  };
  const pathForm = verifyOperation(true);
  document.paths[`${VERIFY_PATH}/{path}`] = { get: pathForm, post: pathForm, put: pathForm, patch: pathForm, delete: pathForm, options: pathForm };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) describeErrors(operation);
    }
  }
  return document;
}

/**
 * ErrorResponder answers problem+json on every route but the OAuth endpoints, whose
 * decorators declare the RFC 6749 body (ApiOAuthErrors); a route that reads input can always
 * fail validation with a 400 listing the fields.
 */
function describeErrors(operation: OperationObject): void {
  const responses = operation.responses;
  const takesInput = operation.requestBody !== undefined || (operation.parameters ?? []).some((p) => 'in' in p && p.in === 'query');
  if (takesInput && !responses['400']) {
    responses['400'] = { description: 'The request is invalid; `errors` names each failing field.' };
  }
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) < 400 || !response || '$ref' in response || isOAuthError(response)) continue;
    response.content = { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemResponse) } } };
  }
}

function isOAuthError(response: ResponseObject): boolean {
  return Object.values(response.content ?? {}).some((media) => media.schema && '$ref' in media.schema && media.schema.$ref === getSchemaPath(OAuthErrorResponse));
}

/** src/auth/token.route.ts is a plain Fastify route (for speed), described as its controller method was. */
function tokenOperation(): OperationObject {
  const body = { schema: { $ref: getSchemaPath(OAuthTokenRequest) } };
  return {
    tags: ['oauth'],
    summary: 'RFC 6749 token endpoint: grants password, refresh_token, client_credentials',
    description:
      'Client authentication by HTTP Basic (client_secret_basic) or client_id and client_secret in the body (client_secret_post); a public client sends only client_id. Answers carry Cache-Control: no-store.',
    operationId: 'TokenController_token',
    parameters: [],
    requestBody: { required: true, content: { 'application/x-www-form-urlencoded': body, 'application/json': body } },
    responses: {
      '200': { description: '', content: { 'application/json': { schema: { $ref: getSchemaPath(OAuthTokenResponse) } } } },
      ...oauthErrorResponses(),
    },
    // Basic is optional: public clients and client_secret_post send none.
    security: [{}, { basic: [] }],
  };
}

/** src/verify/verify.route.ts is a plain Fastify route too. */
function verifyOperation(pathForm: boolean): OperationObject {
  const header = (name: string, description: string) => ({ in: 'header' as const, name, required: false, schema: { type: 'string' }, description });
  const allowed = {
    description: pathForm ? 'Allowed (Envoy ext_authz allows only on 200).' : 'Allowed.',
    headers: Object.fromEntries(
      ['X-Auth-Subject', 'X-Auth-Tenant', 'X-Auth-Tenant-Id', 'X-Auth-Scope', 'X-Auth-Client'].map((h) => [h, { schema: { type: 'string' } }]),
    ),
  };
  const challenge = { 'WWW-Authenticate': { schema: { type: 'string', example: 'Bearer realm="tessera", error="invalid_token"' } } };
  return {
    tags: ['verify'],
    summary: pathForm
      ? 'Envoy ext_authz (HTTP): /verify followed by the original path, with the original method'
      : 'For nginx auth_request and Traefik ForwardAuth: may this credential call the original route?',
    operationId: pathForm ? 'verifyPath' : 'verify',
    parameters: [
      ...(pathForm ? [{ in: 'path' as const, name: 'path', required: true, schema: { type: 'string' }, description: 'The original path.' }] : []),
      header('Authorization', 'Bearer <access token or API key>'),
      header('X-API-Key', 'An API key, instead of Authorization.'),
      header('X-Original-URI', 'nginx: the original URI.'),
      header('X-Original-Method', 'nginx: the original method.'),
      header('X-Forwarded-Uri', 'Traefik: the original URI.'),
      header('X-Forwarded-Method', 'Traefik: the original method.'),
      header('X-Real-IP', 'With TRUST_PROXY: the caller’s address as the proxy saw it, judged against an API key’s allowedIps (else X-Forwarded-For, else the peer).'),
      header('X-Auth-Request-Redirect-Status', '403: answer a 429 or 503 as 403 with X-Auth-Status (nginx auth_request passes only 2xx, 401, 403).'),
    ],
    responses: {
      [pathForm ? '200' : '204']: allowed,
      '401': { description: 'No credential, or an invalid, expired or revoked one (RFC 6750 challenge).', headers: challenge },
      '403': {
        description:
          'The route needs a scope the credential lacks, or no rule names the route (`error="insufficient_scope"` in the challenge); or an API key is used from an address outside its allowedIps (body `{"error":"access_denied"}`, challenge `Bearer realm="tessera"` without an error).',
        headers: challenge,
      },
      '503': { description: 'A credential not yet cached while the database is unreachable.', headers: { 'Retry-After': { schema: { type: 'integer' } } } },
    },
  };
}

/** src/keys/jwks.route.ts is a plain Fastify route (for speed), so it is described by hand. */
function jwksOperation(): OperationObject {
  return {
    tags: ['discovery'],
    summary: 'RFC 7517 JWK Set: every published signing key (next, current, retired)',
    operationId: 'jwks',
    parameters: [{ in: 'header', name: 'If-None-Match', required: false, schema: { type: 'string' }, description: 'An ETag from an earlier answer.' }],
    responses: {
      '200': {
        description: 'The key set; cache it for max-age and revalidate with If-None-Match.',
        headers: {
          ETag: { schema: { type: 'string' } },
          'Cache-Control': { schema: { type: 'string', example: 'public, max-age=300' } },
        },
        content: { 'application/json': { schema: { $ref: getSchemaPath(JsonWebKeySet) } } },
      },
      '304': { description: 'Not modified: the ETag still names the current key set.' },
    },
  };
}
