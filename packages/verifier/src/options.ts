import { BUILT_IN_RULES, loadRoutePolicy, type RoutePolicy } from './route-policy';

/** A fetch with the WHATWG signature; Node's global fetch by default. */
export type FetchLike = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

export interface VerifierOptions {
  /** Tessera's ISSUER: every token's `iss`, and the base of the JWKS and feed URLs. */
  readonly issuer: string;
  /** The `aud` a token must carry. Default: the policy's `audience`, else the issuer (Tessera's default audience). */
  readonly audience?: string | readonly string[];
  /**
   * Credentials holding `revocations:read` (an API key's id and key, or a confidential
   * client's id and secret), or `false` to check no revocations: then a revoked token passes
   * until it expires. Required, so that switching the feed off is a decision, not an omission.
   */
  readonly revocations: { readonly clientId: string; readonly clientSecret: string } | false;
  /** A route policy, or the path of a policy file (JSON or YAML) as Tessera's ROUTE_POLICY_FILE. Default: the built-in one. */
  readonly policy?: RoutePolicy | string;
  /** Routes whose JSON body's `model` is checked against `model:` scopes, as "METHOD /path". */
  readonly modelRoutes?: readonly string[];
  readonly jwksUrl?: string;
  readonly pollIntervalMs?: number;
  /** At most one JWKS fetch for an unknown kid per this many ms. */
  readonly jwksCooldownMs?: number;
  /** Clock skew tolerated on exp and nbf, in seconds. */
  readonly leewaySeconds?: number;
  readonly timeoutMs?: number;
  /** `realm` of the WWW-Authenticate challenge; none by default. */
  readonly realm?: string;
  readonly fetch?: FetchLike;
  /** Called with the reason of every refusal and every failed fetch, for the application's log. */
  readonly onEvent?: (event: VerifierEvent) => void;
}

export type VerifierEvent =
  | { readonly type: 'refused'; readonly status: number; readonly detail: string }
  | { readonly type: 'fetch_failed'; readonly source: 'jwks' | 'feed'; readonly detail: string };

export const DEFAULT_MODEL_ROUTES = ['POST /v1/chat/completions', 'POST /v1/completions', 'POST /v1/embeddings'];

export interface ResolvedOptions {
  readonly issuer: string;
  readonly audience: string | string[];
  readonly revocations: { readonly clientId: string; readonly clientSecret: string } | false;
  readonly policy: RoutePolicy;
  readonly modelRoutes: readonly string[];
  readonly jwksUrl: string;
  readonly feedUrl: string;
  readonly pollIntervalMs: number;
  readonly jwksCooldownMs: number;
  readonly leewaySeconds: number;
  readonly timeoutMs: number;
  readonly realm: string | null;
  readonly fetch: FetchLike;
  readonly onEvent: (event: VerifierEvent) => void;
}

export function resolveOptions(o: VerifierOptions): ResolvedOptions {
  if (typeof o?.issuer !== 'string' || !/^https?:\/\//.test(o.issuer)) throw new TypeError('issuer: must be an http(s) URL');
  if (o.revocations === undefined) throw new TypeError('revocations: give { clientId, clientSecret } holding revocations:read, or false');
  if (o.revocations && (!o.revocations.clientId || !o.revocations.clientSecret)) throw new TypeError('revocations: clientId and clientSecret are required');
  if (o.realm !== undefined && !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(o.realm)) throw new TypeError('realm: no quotes, backslashes or control characters');
  // Tessera strips a trailing slash from its ISSUER, so `iss` never has one.
  const issuer = o.issuer.replace(/\/+$/, '');
  const policy = typeof o.policy === 'string' ? loadRoutePolicy(o.policy) : (o.policy ?? { rules: BUILT_IN_RULES, audience: null });
  const audience = o.audience ?? policy.audience ?? issuer;
  return {
    issuer,
    audience: typeof audience === 'string' ? audience : [...audience],
    revocations: o.revocations,
    policy,
    modelRoutes: o.modelRoutes ?? DEFAULT_MODEL_ROUTES,
    jwksUrl: o.jwksUrl ?? `${issuer}/.well-known/jwks.json`,
    feedUrl: `${issuer}/revocations`,
    pollIntervalMs: positive('pollIntervalMs', o.pollIntervalMs, 5000),
    jwksCooldownMs: positive('jwksCooldownMs', o.jwksCooldownMs, 30_000),
    leewaySeconds: positive('leewaySeconds', o.leewaySeconds, 30, true),
    timeoutMs: positive('timeoutMs', o.timeoutMs, 5000),
    realm: o.realm ?? null,
    fetch: o.fetch ?? ((url, init) => fetch(url, init)),
    onEvent: o.onEvent ?? (() => undefined),
  };
}

function positive(name: string, value: number | undefined, fallback: number, zeroOk = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!zeroOk && value === 0)) throw new TypeError(`${name}: must be a positive number`);
  return value;
}
