import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath, type ExampleObject, type HeadersObject, type ResponseObject, type ResponsesObject } from '@nestjs/swagger';

// Schemas of the OAuth endpoints, for the OpenAPI document only: those routes read raw bodies
// (RFC 6749 parameters, repeated ones refused), so no DTO class describes them.

/** RFC 6749 §4.3, §6, §4.4 request of `POST /token`, as a form or as JSON with the same fields. */
export class OAuthTokenRequest {
  @ApiProperty({ enum: ['password', 'refresh_token', 'client_credentials'] }) grant_type: string;
  @ApiPropertyOptional({ description: 'The client (or API key id). Optional with HTTP Basic, required otherwise.' }) client_id?: string;
  @ApiPropertyOptional({ description: '`client_secret_post`: a confidential client’s secret or an API key. Prefer HTTP Basic.' }) client_secret?: string;
  @ApiPropertyOptional({ description: '`password` grant: required.' }) username?: string;
  @ApiPropertyOptional({ description: '`password` grant: required.', format: 'password' }) password?: string;
  @ApiPropertyOptional({ description: '`refresh_token` grant: required; it is spent, and a new one comes back.' }) refresh_token?: string;
  @ApiPropertyOptional({ description: 'Space-separated; default all allowed, on refresh it may only narrow.', example: 'models:list chat:completions' })
  scope?: string;
}

/** RFC 6749 §5.1. */
export class OAuthTokenResponse {
  @ApiProperty({ description: 'RS256 JWT (`typ` at+jwt), verifiable against /.well-known/jwks.json.' }) access_token: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type: string;
  @ApiProperty({ example: 900 }) expires_in: number;
  @ApiPropertyOptional({ description: 'Absent for client_credentials. Single use: every refresh returns a new one.' }) refresh_token?: string;
  @ApiProperty({ example: 'models:list chat:completions' }) scope: string;
}

/** RFC 7009 §2.1 and RFC 7662 §2.1 request of `POST /revoke` and `POST /introspect`. */
export class OAuthTokenOperationRequest {
  @ApiProperty({ description: 'An access token (JWT) or a refresh token.' }) token: string;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'], description: 'Where to look first; both kinds are always tried.' }) token_type_hint?: string;
  @ApiPropertyOptional({ description: 'The client (or API key id). Optional with HTTP Basic.' }) client_id?: string;
  @ApiPropertyOptional({ description: '`client_secret_post`: a confidential client’s secret or an API key.' }) client_secret?: string;
}

/** RFC 7662 §2.2; everything but `active` is absent when the token is not active. */
export class OAuthIntrospectionResponse {
  @ApiProperty() active: boolean;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] }) token_type?: string;
  @ApiPropertyOptional() sub?: string;
  @ApiPropertyOptional() client_id?: string;
  @ApiPropertyOptional({ example: 'models:list chat:completions' }) scope?: string;
  @ApiPropertyOptional({ format: 'uuid' }) tenant_id?: string;
  @ApiPropertyOptional({ description: 'The tenant’s slug.' }) tenant?: string;
  @ApiPropertyOptional() exp?: number;
  @ApiPropertyOptional() iat?: number;
  @ApiPropertyOptional() jti?: string;
  @ApiPropertyOptional() iss?: string;
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }) aud?: string | string[];
}

class FeedJti {
  @ApiProperty({ format: 'uuid' }) jti: string;
  @ApiProperty({ description: 'Epoch seconds; forget the entry after it.' }) exp: number;
}

class FeedNotBefore {
  @ApiProperty({ format: 'uuid' }) tenant_id: string;
  @ApiProperty({ nullable: true, type: String, description: 'A user, API key or client id; null: the whole tenant.' }) sub: string | null;
  @ApiProperty({ description: 'Epoch seconds: refuse tokens of the subject with an iat before it.' }) nbf: number;
}

/** Contract 2.7: GET /revocations. */
export class RevocationFeedResponse {
  @ApiProperty({ description: 'Pass as `since` on the next poll.' }) cursor: string;
  @ApiProperty({ type: [FeedJti] }) jtis: FeedJti[];
  @ApiProperty({ type: [FeedNotBefore] }) not_before: FeedNotBefore[];
  @ApiProperty({ type: [String], description: 'Refuse every token signed by these keys.' }) revoked_kids: string[];
}

export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'slow_down',
  'temporarily_unavailable',
  'server_error',
];

/** RFC 6749 §5.2 error body of the OAuth endpoints (never problem+json), sent with no-store. */
export class OAuthErrorResponse {
  @ApiProperty({ enum: OAUTH_ERROR_CODES }) error: string;
  @ApiProperty({ description: 'A generic text; the reason stays in the server log.' }) error_description: string;
}

const oauthError = (error: string, error_description: string) => ({ value: { error, error_description } });

/** The RFC 6749 error responses every OAuth endpoint (`/token`, `/revoke`, `/introspect`) can give. */
interface OAuthErrorDoc {
  status: number;
  description: string;
  headers?: HeadersObject;
  examples?: Record<string, ExampleObject>;
}

const OAUTH_ERRORS: readonly OAuthErrorDoc[] = [
  {
    status: 400,
    description: 'invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type or invalid_scope.',
    examples: {
      invalid_grant: { summary: 'wrong credentials, spent or revoked refresh token', ...oauthError('invalid_grant', 'The grant is invalid, expired or revoked.') },
      invalid_request: { summary: 'missing or repeated parameter', ...oauthError('invalid_request', 'The request is missing a parameter, repeats one, or is malformed.') },
    },
  },
  {
    status: 401,
    description: 'invalid_client: unknown client or bad secret; comes with `WWW-Authenticate: Basic`.',
    headers: { 'WWW-Authenticate': { schema: { type: 'string', example: 'Basic realm="tessera", charset="UTF-8"' } } },
  },
  {
    status: 429,
    description: 'slow_down: too many attempts from this IP, or for this username or client.',
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds.' } },
  },
  {
    status: 503,
    description: 'temporarily_unavailable: the database cannot be reached.',
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds.' } },
  },
];

export const ApiOAuthErrors = () => applyDecorators(...OAUTH_ERRORS.map((options) => ApiResponse({ ...options, type: OAuthErrorResponse })));

/** The same responses as plain OpenAPI, for the plain Fastify POST /token (src/docs/openapi.ts). */
export function oauthErrorResponses(): ResponsesObject {
  return Object.fromEntries(
    OAUTH_ERRORS.map(({ status, description, headers, examples }) => [
      String(status),
      {
        description,
        ...(headers ? { headers } : {}),
        content: { 'application/json': { schema: { $ref: getSchemaPath(OAuthErrorResponse) }, ...(examples ? { examples } : {}) } },
      } as ResponseObject,
    ]),
  );
}

/** RFC 7517 public JWK: public members only, never a private one. */
export class JsonWebKey {
  @ApiProperty({ enum: ['RSA', 'EC', 'OKP'] }) kty: string;
  @ApiProperty() kid: string;
  @ApiProperty({ enum: ['sig'] }) use: string;
  @ApiProperty({ enum: ['RS256', 'ES256', 'EdDSA'] }) alg: string;
  @ApiPropertyOptional({ description: 'RSA modulus, base64url.' }) n?: string;
  @ApiPropertyOptional({ description: 'RSA exponent, base64url.' }) e?: string;
  @ApiPropertyOptional({ description: 'EC or OKP curve.' }) crv?: string;
  @ApiPropertyOptional() x?: string;
  @ApiPropertyOptional() y?: string;
}

/** Contract 2.5: every key in state next, current or retired. */
export class JsonWebKeySet {
  @ApiProperty({ type: [JsonWebKey] }) keys: JsonWebKey[];
}

/** RFC 8414 metadata, as `GET /.well-known/oauth-authorization-server` serves it. */
export class AuthorizationServerMetadata {
  @ApiProperty({ example: 'https://auth.example.com' }) issuer: string;
  @ApiProperty() token_endpoint: string;
  @ApiProperty() jwks_uri: string;
  @ApiProperty() revocation_endpoint: string;
  @ApiProperty() introspection_endpoint: string;
  @ApiProperty({ type: [String] }) grant_types_supported: string[];
  @ApiProperty({ type: [String], example: [] }) response_types_supported: string[];
  @ApiProperty({ type: [String] }) token_endpoint_auth_methods_supported: string[];
  @ApiProperty({ type: [String] }) revocation_endpoint_auth_methods_supported: string[];
  @ApiProperty({ type: [String] }) introspection_endpoint_auth_methods_supported: string[];
  @ApiProperty({ type: [String] }) scopes_supported: string[];
  @ApiProperty() service_documentation: string;
}
