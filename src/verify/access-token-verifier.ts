import { Inject, Injectable } from '@nestjs/common';
import { jwtVerify, type JWTHeaderParameters, type KeyLike } from 'jose';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { CLOCK_SKEW, KeysService } from '../keys/keys.service';
import { parseApiKey } from '../api-keys/api-key-format';
import { apiKeySecretMatches } from '../api-keys/api-key-secret';
import { tenantScopes } from '../auth/scopes';
import { RevocationCache, type ApiKeyView, type TenantView } from './revocation-cache';

/** The RFC 9068 claims of one of this service's access tokens, as jose verified them. */
export interface AccessClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf?: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope?: string;
  readonly tenant_id: string;
  readonly tenant: string;
  /** The signing key's kid, from the header. */
  readonly kid: string;
}

/** Who a credential speaks for once every check passed. */
export interface Credential {
  readonly kind: 'jwt' | 'api_key';
  readonly sub: string;
  readonly clientId: string;
  readonly tenant: TenantView;
  readonly scopes: readonly string[];
  readonly claims: AccessClaims | null;
}

/**
 * `addressRefused`: the credential is good but may not be used from the caller's address
 * (allowedIps), which is no reason to call it invalid: /verify answers 403, not 401.
 */
export type Verdict = { ok: true; credential: Credential } | { ok: false; reason: string; addressRefused?: true };

/** The caller's address, read only for a credential limited by address (so most calls never compute it). */
export type CallerAddress = () => string | null;

/** A bearer token is at most this long; anything longer is refused before any parsing. */
const MAX_TOKEN_LENGTH = 4096;
const JWT_SHAPE = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}$/;
const MAX_VERIFIED = 20_000;

const refuse = (reason: string): Verdict => ({ ok: false, reason });

/**
 * Judges an access token or API key against the signing keys and the RevocationCache, with no
 * database query for a credential seen before. A JWT's signature is checked by jose once per
 * distinct token and the verified claims kept (a client sends the same token for its whole
 * lifetime); everything that can change (expiry, the key still being accepted, revocation,
 * not-before, the tenant) is judged again on every call.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    private readonly keys: KeysService,
    private readonly cache: RevocationCache,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A JWT or an API key: synchronous when everything it needs is cached. `address` matters only
   * to an API key with allowedIps; a JWT was judged by address when it was issued.
   */
  judge(token: string, address: CallerAddress): Verdict | Promise<Verdict> {
    if (token.startsWith('tsk_')) return this.judgeApiKey(token, address);
    return this.judgeJwt(token);
  }

  judgeJwt(token: string): Verdict | Promise<Verdict> {
    const claims = this.verified.get(token);
    if (claims) return this.judgeClaims(claims);
    return this.verifySignature(token).then((verified) => (verified ? this.judgeClaims(verified) : refuse('signature, header or claims')));
  }

  /**
   * The claims of a token this service signed with a key it still accepts, issued by this
   * issuer, typ at+jwt, within its validity (RFC 9068 §4); null for anything else.
   */
  async verifySignature(token: string): Promise<AccessClaims | null> {
    if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) return null;
    const cached = this.verified.get(token);
    if (cached) return cached;
    const ring = this.keys.ring;
    let kid = '';
    const keyFor = (header: JWTHeaderParameters): KeyLike => {
      const found = typeof header.kid === 'string' ? ring.verificationKey(header.kid) : null;
      // The key's own algorithm, never the one the header asks for (RFC 8725 §3.1).
      if (!found || found.alg !== header.alg) throw new Error('no accepted key');
      kid = header.kid!;
      return found.key;
    };
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, keyFor, {
        issuer: this.config.issuer,
        typ: 'at+jwt',
        algorithms: ['RS256', 'ES256', 'EdDSA'],
        currentDate: this.clock.now(),
        clockTolerance: CLOCK_SKEW,
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'aud'],
      }));
    } catch {
      return null;
    }
    const strings = ['sub', 'jti', 'client_id', 'tenant_id', 'tenant'] as const;
    if (!strings.every((c) => typeof payload[c] === 'string' && payload[c] !== '')) return null;
    if (payload.scope !== undefined && typeof payload.scope !== 'string') return null;
    const claims = { ...(payload as unknown as AccessClaims), kid };
    if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
    this.verified.set(token, claims);
    return claims;
  }

  /** Everything about a verified token that can change after it was signed. */
  judgeClaims(claims: AccessClaims): Verdict | Promise<Verdict> {
    const now = this.clock.nowSeconds();
    // The issuer's own clock decides expiry; not-before allows for other instances' skew.
    if (claims.exp <= now) return refuse('expired');
    if (claims.nbf !== undefined && claims.nbf - CLOCK_SKEW > now) return refuse('not yet valid');
    if (!this.keys.ring.accepts(claims.kid)) return refuse('signing key no longer accepted');
    if (this.cache.isRevoked(claims.jti)) return refuse('jti revoked');
    if (claims.iat < this.cache.notBeforeOf(claims.tenant_id, null)) return refuse('issued before the tenant’s not-before');
    if (claims.iat < this.cache.notBeforeOf(claims.tenant_id, claims.sub)) return refuse('issued before the subject’s not-before');
    const tenant = this.cache.tenant(claims.tenant_id);
    if (tenant === undefined) return this.cache.loadTenant(claims.tenant_id).then((loaded) => this.withTenant(claims, loaded));
    return this.withTenant(claims, tenant);
  }

  private withTenant(claims: AccessClaims, tenant: TenantView | null): Verdict {
    if (!tenant || !tenant.active) return refuse('tenant missing or suspended');
    return {
      ok: true,
      credential: {
        kind: 'jwt',
        sub: claims.sub,
        clientId: claims.client_id,
        tenant,
        scopes: claims.scope ? claims.scope.split(' ') : [],
        claims,
      },
    };
  }

  /** Contract 2.6: an API key presented directly, found by the id part of the key itself. */
  judgeApiKey(key: string, address: CallerAddress): Verdict | Promise<Verdict> {
    const id = parseApiKey(key);
    if (!id) return refuse('malformed API key');
    const view = this.cache.apiKey(id);
    if (view === undefined) return this.cache.loadApiKey(id).then((loaded) => this.withApiKey(key, loaded, address));
    return this.withApiKey(key, view, address);
  }

  private withApiKey(key: string, view: ApiKeyView | null, address: CallerAddress): Verdict | Promise<Verdict> {
    const now = this.clock.now().getTime();
    // The previous secret counts until its grace ends, by this clock: no refresh is needed for it to stop.
    if (!view || !apiKeySecretMatches(key, view, now)) return refuse('unknown API key or wrong secret');
    if (view.revoked || (view.expiresAt !== null && view.expiresAt <= now)) return refuse('API key revoked or expired');
    if (view.allowedIps && !view.allowedIps.allows(address())) return { ok: false, reason: 'API key not allowed from this address', addressRefused: true };
    const tenant = this.cache.tenant(view.tenantId);
    if (tenant === undefined) return this.cache.loadTenant(view.tenantId).then((loaded) => this.apiKeyVerdict(view, loaded));
    return this.apiKeyVerdict(view, tenant);
  }

  private apiKeyVerdict(view: ApiKeyView, tenant: TenantView | null): Verdict {
    if (!tenant || !tenant.active) return refuse('tenant missing or suspended');
    this.cache.noteApiKeyUse(view.id);
    return {
      ok: true,
      credential: {
        kind: 'api_key',
        sub: view.id,
        clientId: view.id,
        tenant,
        // A scope the tenant stopped offering is no longer the key's to use.
        scopes: view.scopes.filter((s) => tenantScopes(tenant).includes(s)),
        claims: null,
      },
    };
  }
}
