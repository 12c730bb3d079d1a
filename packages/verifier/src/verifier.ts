import { decodeProtectedHeader, jwtVerify, type errors, type JWTVerifyOptions } from 'jose';
import { JwksCache, type VerificationKey } from './jwks-cache';
import { modelAllowed, modelRestricted, MODEL_SCOPE_PREFIX } from './model-scope';
import { resolveOptions, type ResolvedOptions, type VerifierOptions } from './options';
import { refuse, type Refusal } from './refusal';
import { RevocationFeed } from './revocation-feed';
import { BoundedMemo } from './memo';
import { RouteMatcher, validatePolicy, type RouteMatch } from './route-policy';
import type { Outcome, RequestLike, TesseraClaims, TokenOutcome, Verified, VerifierStatus } from './types';

export type { Outcome, RequestLike, TesseraClaims, TokenOutcome, Verified, VerifierStatus } from './types';

const BEARER = /^Bearer +/i;
const MAX_TOKEN_LENGTH = 4096;

/**
 * Verifies Tessera access tokens offline (contract 2.7): jose checks the signature with the key
 * the cached JWKS holds for the token's kid, at that key's own algorithm, and the claims; then
 * the revocation feed, the route policy shared with Tessera's /verify, and `model:` scopes.
 */
export class TesseraVerifier {
  readonly options: ResolvedOptions;
  private readonly jwks: JwksCache;
  private readonly feed: RevocationFeed | null;
  private readonly routes: BoundedMemo<{ route: RouteMatch | null; modelRoute: boolean }>;
  private readonly kids = new BoundedMemo(kidOfHeader);
  private readonly jwtOptions: Record<VerificationKey['alg'], JWTVerifyOptions>;

  constructor(options: VerifierOptions) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.jwks = new JwksCache(o);
    this.feed = o.revocations ? new RevocationFeed(o, o.revocations) : null;
    const matcher = new RouteMatcher(o.policy);
    const routes = o.modelRoutes.map((r) => ({ method: r.split(' ')[0], path: r.split(' ')[1], scopes: [] }));
    const modelRoutes = new RouteMatcher(routes.length ? validatePolicy({ routes }) : { rules: [], audience: null });
    // Per method and target: a server has few routes, and matching one costs more than a lookup.
    this.routes = new BoundedMemo((key) => {
      const [method, url] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
      return { route: matcher.match(method, url), modelRoute: modelRoutes.match(method, url) !== null };
    });
    const claims = { issuer: o.issuer, audience: o.audience, typ: 'at+jwt', clockTolerance: o.leewaySeconds, requiredClaims: ['exp', 'iat', 'sub', 'jti'] };
    // One per algorithm Tessera signs with; a token is held to its key's (the JWK's), never its header's.
    this.jwtOptions = { RS256: { ...claims, algorithms: ['RS256'] }, ES256: { ...claims, algorithms: ['ES256'] }, EdDSA: { ...claims, algorithms: ['EdDSA'] } };
  }

  /** Starts polling the feed and loading the JWKS; the adapters call it. */
  start(): void {
    this.feed?.start();
    if (!this.jwks.loaded) void this.jwks.refresh();
  }

  close(): void {
    this.feed?.close();
  }

  /** Loads the JWKS and the first feed answer; rejects when either cannot be had now. */
  async ready(): Promise<void> {
    this.start();
    if (!this.jwks.loaded) await this.jwks.refresh();
    if (this.feed && !(await this.feed.settle())) throw new Error(this.feed.error ?? 'revocation feed not loaded');
    if (!this.jwks.loaded) throw new Error(this.jwks.error ?? 'JWKS not loaded');
  }

  status(): VerifierStatus {
    const errs = [this.jwks.error, this.feed?.error ?? null].filter((e) => e !== null);
    return {
      jwksAgeMs: this.jwks.ageMs,
      feedAgeMs: this.feed?.ageMs ?? null,
      lastError: errs.length ? errs.join('; ') : null,
      revocationEntries: this.feed?.state.size ?? 0,
    };
  }

  /** Signature, claims and revocation of one access token. */
  async verifyToken(token: string): Promise<TokenOutcome> {
    // settle() only until the first answer: afterwards no await on the hot path.
    if (this.feed && !this.feed.loaded && !(await this.feed.settle())) return this.no(refuse(503, 'temporarily_unavailable', 'no revocation feed answer yet'));
    // Every token of one signing key has the same header: decode it once, for the key lookup.
    const kid = this.kids.get(token.slice(0, token.indexOf('.')));
    if (kid === null) return this.no(refuse(401, 'invalid_token', 'malformed header, or no kid'));
    // Refused before any signature work: the feed already says so.
    if (this.feed?.state.kidRevoked(kid)) return this.no(refuse(401, 'invalid_token', 'signing key revoked'));
    const key = this.jwks.cached(kid) ?? (await this.jwks.get(kid));
    if (!key) return this.no(this.jwks.loaded ? refuse(401, 'invalid_token', 'unknown kid') : refuse(503, 'temporarily_unavailable', 'no JWKS loaded yet'));
    let claims: TesseraClaims;
    try {
      // At the key's one algorithm: a header naming another is refused by jose before any crypto.
      claims = (await jwtVerify(token, key.key, this.jwtOptions[key.alg])).payload as TesseraClaims;
    } catch (err) {
      const { code, message } = err as errors.JOSEError;
      return this.no(refuse(401, 'invalid_token', code ? `${code}: ${message}` : message));
    }
    if (typeof claims.tenant_id !== 'string' || (claims.scope !== undefined && typeof claims.scope !== 'string')) {
      return this.no(refuse(401, 'invalid_token', 'tenant_id or scope malformed'));
    }
    const revoked = this.feed?.state.revoked(claims);
    if (revoked) return this.no(refuse(401, 'invalid_token', revoked));
    return { ok: true, claims, scopes: claims.scope ? claims.scope.split(' ').filter(Boolean) : [] };
  }

  /** The bearer token of a request, checked against the route policy. */
  async authenticate(req: RequestLike): Promise<Outcome> {
    const { authorization } = req;
    // RFC 6750 §3.1: another scheme, or none, carries no credential of ours.
    if (authorization === undefined || !/^bearer(\s|$)/i.test(authorization)) return this.no(refuse(401, null, 'no bearer credential'));
    // The token's characters are left to jose: it refuses what is no JWS, and the signature
    // covers the token's text as sent, so no spelling of a good token is another good token.
    const jwt = authorization.slice(BEARER.exec(authorization)?.[0].length ?? 0).trimEnd();
    if (!jwt || jwt.length > MAX_TOKEN_LENGTH) return this.no(refuse(401, 'invalid_token', 'malformed bearer credential'));
    const token = await this.verifyToken(jwt);
    if (!token.ok) return token;
    const { scopes } = token;
    const { route, modelRoute } = this.routes.get(`${req.method} ${req.url}`);
    if (!route) return this.no(refuse(403, 'insufficient_scope', 'no rule names this route'));
    if (!route.rule.scopes.every((s) => scopes.includes(s))) {
      return this.no(refuse(403, 'insufficient_scope', 'missing a scope of the route', route.rule.scopes.join(' ')));
    }
    if (route.model !== null && !modelAllowed(scopes, route.model)) {
      return this.no(refuse(403, 'insufficient_scope', 'model of the path not among the model: scopes', `${MODEL_SCOPE_PREFIX}${route.model}`));
    }
    const modelPending = modelRoute && modelRestricted(scopes);
    return { ok: true, verified: { claims: token.claims, scopes, route, modelPending } };
  }

  /** Contract 2.7: on a model route, a token with `model:` scopes may use only the models they name. */
  checkModel(verified: Verified, body: unknown): Refusal | null {
    if (!verified.modelPending) return null;
    const model = modelOf(body);
    if (model === null) return this.no(refuse(403, 'insufficient_scope', 'no model in the body of a model-restricted token')).refusal;
    if (!modelAllowed(verified.scopes, model)) {
      return this.no(refuse(403, 'insufficient_scope', 'model of the body not among the model: scopes', `${MODEL_SCOPE_PREFIX}${model}`)).refusal;
    }
    return null;
  }

  private no(refusal: Refusal): { ok: false; refusal: Refusal } {
    this.options.onEvent({ type: 'refused', status: refusal.status, detail: refusal.detail });
    return { ok: false, refusal };
  }
}

/** The kid of an encoded JWS header, by jose; jwtVerify decodes and checks the header again anyway. */
function kidOfHeader(encoded: string): string | null {
  try {
    const { kid } = decodeProtectedHeader({ protected: encoded, payload: '', signature: '' });
    return typeof kid === 'string' ? kid : null;
  } catch {
    return null;
  }
}

/** The `model` of a JSON body, parsed or not; null when there is none. */
function modelOf(body: unknown): string | null {
  let doc = body;
  if (typeof doc === 'string' || doc instanceof Uint8Array) {
    try {
      doc = JSON.parse(typeof doc === 'string' ? doc : Buffer.from(doc).toString('utf8'));
    } catch {
      return null;
    }
  }
  const model = typeof doc === 'object' && doc !== null ? (doc as { model?: unknown }).model : undefined;
  return typeof model === 'string' && model !== '' ? model : null;
}
