import { Inject, Injectable } from '@nestjs/common';
import { OAuthError } from '../common/oauth-error';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { RefreshTokensService } from '../sessions/refresh-tokens.service';
import { AccessTokenVerifier } from '../verify/access-token-verifier';
import { RevocationCache } from '../verify/revocation-cache';
import { ClientAuthService, type AuthenticatedClient } from './client-auth.service';
import { invalidRequest, readParams } from './oauth-params';
import type { TokenRequestContext } from './token.service';
import { meantFor } from '../verify/verify.service';

/** RFC 7662 §2.2 (contract 2.4); token_type says which kind of token it was. */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      token_type: 'access_token' | 'refresh_token';
      sub: string;
      client_id: string;
      scope: string;
      tenant_id: string;
      tenant: string;
      exp: number;
      iat: number;
      jti: string;
      iss: string;
      aud: string | string[];
    };

const INACTIVE = { active: false } as const;

/**
 * POST /introspect: authoritative as of the request. The revocation cache is brought up to date
 * first (one indexed poll, shared by concurrent introspections), then the token is judged by the
 * same checks as /verify. A caller sees only tokens of its own tenant; any other is inactive.
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly verifier: AccessTokenVerifier,
    private readonly cache: RevocationCache,
    private readonly refreshTokens: RefreshTokensService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async introspect(body: unknown, context: TokenRequestContext): Promise<IntrospectionResponse> {
    const params = readParams(body);
    const caller = await this.authenticate(params, context);
    const token = params.token;
    if (!token) throw invalidRequest('token');
    // RFC 7662 §2.1: the hint only speeds up the search; both kinds are tried.
    const jwtFirst = params.token_type_hint !== 'refresh_token';
    const kinds = jwtFirst ? [this.asAccessToken, this.asRefreshToken] : [this.asRefreshToken, this.asAccessToken];
    for (const kind of kinds) {
      const answer = await kind.call(this, token, caller);
      if (answer) return answer;
    }
    return INACTIVE;
  }

  /** RFC 7662 §2.1: the caller must authenticate; a public client cannot. */
  private async authenticate(params: Record<string, string>, context: TokenRequestContext): Promise<AuthenticatedClient> {
    const caller = await this.clientAuth.authenticate({ authorization: context.authorization, clientId: params.client_id, clientSecret: params.client_secret }, context.ip);
    if (!caller.confidential) throw new OAuthError('invalid_client', { detail: 'public client at /introspect' });
    return caller;
  }

  private async asAccessToken(token: string, caller: AuthenticatedClient): Promise<IntrospectionResponse | null> {
    const claims = await this.verifier.verifySignature(token);
    if (!claims) return null;
    if (claims.tenant_id !== caller.tenantId) return INACTIVE;
    // RFC 7662 §2.2 and §4: a token the caller may not know about is inactive to it. A resource
    // server sees the tokens meant for it (its client's audience, else the default one), so a
    // token for another resource server cannot be replayed at it and pass here.
    if (!meantFor(claims.aud, caller.audience ?? this.config.defaultAudience)) return INACTIVE;
    await this.cache.refresh();
    const verdict = await this.verifier.judgeClaims(claims);
    if (!verdict.ok) return INACTIVE;
    return {
      active: true,
      token_type: 'access_token',
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope ?? '',
      tenant_id: claims.tenant_id,
      tenant: claims.tenant,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      iss: claims.iss,
      aud: claims.aud,
    };
  }

  private async asRefreshToken(token: string, caller: AuthenticatedClient): Promise<IntrospectionResponse | null> {
    const found = await this.refreshTokens.describe(token);
    if (!found) return null;
    if (found.tenantId !== caller.tenantId || !found.active) return INACTIVE;
    return {
      active: true,
      token_type: 'refresh_token',
      sub: found.userId,
      client_id: found.clientId,
      scope: found.scope,
      tenant_id: found.tenantId,
      tenant: found.tenantSlug,
      exp: Math.floor(found.expiresAt.getTime() / 1000),
      iat: Math.floor(found.issuedAt.getTime() / 1000),
      jti: found.id,
      iss: this.config.issuer,
      aud: found.audience ?? this.config.defaultAudience,
    };
  }
}
