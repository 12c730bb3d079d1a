import type { JWTPayload } from 'jose';
import type { Refusal } from './refusal';
import type { RouteMatch } from './route-policy';

/** Contract 2.2: the claims of a Tessera access token. */
export interface TesseraClaims extends JWTPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly tenant_id: string;
  readonly tenant?: string;
  readonly client_id?: string;
  readonly scope?: string;
}

/** What the adapters attach to a request that passed. */
export interface Verified {
  readonly claims: TesseraClaims;
  readonly scopes: readonly string[];
  readonly route: RouteMatch;
  /** The JSON body's `model` must still pass checkModel() before the request goes on. */
  readonly modelPending: boolean;
}

export type TokenOutcome = { readonly ok: true; readonly claims: TesseraClaims; readonly scopes: readonly string[] } | { readonly ok: false; readonly refusal: Refusal };
export type Outcome = { readonly ok: true; readonly verified: Verified } | { readonly ok: false; readonly refusal: Refusal };

export interface VerifierStatus {
  /** Since the JWKS was last fetched or revalidated; null before the first success. */
  readonly jwksAgeMs: number | null;
  /** Since the feed last answered; null before the first answer, or with revocations off. */
  readonly feedAgeMs: number | null;
  /** The failure of each source whose latest attempt failed; null when both are healthy. */
  readonly lastError: string | null;
  readonly revocationEntries: number;
}

export interface RequestLike {
  readonly method: string;
  /** The request target as received: path and query. */
  readonly url: string;
  readonly authorization: string | undefined;
}
