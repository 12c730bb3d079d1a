/** RFC 6749 §5.2, RFC 6750 §3.1 and RFC 7009/7662 error codes this service answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'slow_down'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'invalid_token'
  | 'insufficient_scope';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  slow_down: 429,
  temporarily_unavailable: 503,
  server_error: 500,
  invalid_token: 401,
  insufficient_scope: 403,
};

/** What the client is told: generic on purpose, so no answer reveals which check failed. */
const DESCRIPTION: Record<OAuthErrorCode, string> = {
  invalid_request: 'The request is missing a parameter, repeats one, or is malformed.',
  invalid_client: 'Client authentication failed.',
  invalid_grant: 'The grant is invalid, expired or revoked.',
  unauthorized_client: 'The client is not allowed to use this grant type.',
  unsupported_grant_type: 'The grant type is not supported.',
  invalid_scope: 'The requested scope is invalid or exceeds what may be granted.',
  slow_down: 'Too many requests; try again later.',
  temporarily_unavailable: 'The service is temporarily unavailable; try again later.',
  server_error: 'The server encountered an unexpected condition.',
  invalid_token: 'The access token is invalid, expired or revoked.',
  insufficient_scope: 'The access token does not carry the scope this request needs.',
};

export interface OAuthErrorOptions {
  /** For the log only, never the response: e.g. "refresh token reused". */
  detail?: string;
  /** Seconds, for 429 and 503. */
  retryAfter?: number;
  /** For invalid_request only: which parameter, safe to show. */
  description?: string;
  /** RFC 6750 §3.1: a request without credentials gets a challenge with no error code. */
  bareChallenge?: boolean;
}

/** The one error type OAuth code throws; the exception filter turns it into the RFC body. */
export class OAuthError extends Error {
  readonly status: number;
  readonly description: string;

  constructor(
    readonly code: OAuthErrorCode,
    readonly options: OAuthErrorOptions = {},
  ) {
    super(options.detail ?? code);
    this.name = 'OAuthError';
    this.status = STATUS[code];
    this.description = options.description ?? DESCRIPTION[code];
  }
}
