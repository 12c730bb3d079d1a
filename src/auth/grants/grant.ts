import type { AuthenticatedClient } from '../client-auth.service';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

export interface GrantRequest {
  readonly client: AuthenticatedClient;
  /** The request's parameters, each present at most once (the dispatcher checks). */
  readonly params: Readonly<Record<string, string>>;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** One grant type (node-oidc-provider lib/actions/grants, fosite flow handlers). */
export interface GrantHandler {
  readonly grantType: string;
  /** Parameters the grant requires; the dispatcher answers invalid_request when one is missing. */
  readonly required: readonly string[];
  handle(request: GrantRequest): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = Symbol('GRANT_HANDLERS');
