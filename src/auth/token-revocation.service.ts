import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { RevocationsService } from '../revocations/revocations.service';
import { RefreshTokensService } from '../sessions/refresh-tokens.service';
import { AccessTokenVerifier } from '../verify/access-token-verifier';
import { ClientAuthService, type AuthenticatedClient } from './client-auth.service';
import { invalidRequest, readParams } from './oauth-params';
import type { TokenRequestContext } from './token.service';

/**
 * POST /revoke (RFC 7009, contract 2.4). A client revokes only tokens issued to it (§2.1); a
 * refresh token takes its whole family and the family's access tokens with it, an access token
 * is recorded by jti until it expires. Unknown, expired and other clients' tokens answer the
 * same 200 (§2.2), so the endpoint tells nobody what exists.
 */
@Injectable()
export class TokenRevocationService {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly verifier: AccessTokenVerifier,
    private readonly refreshTokens: RefreshTokensService,
    private readonly revocations: RevocationsService,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
  ) {}

  async revoke(body: unknown, context: TokenRequestContext): Promise<void> {
    const params = readParams(body);
    // Public clients may revoke too (§2.1): they prove the client_id, the token proves the rest.
    const caller = await this.clientAuth.authenticate({ authorization: context.authorization, clientId: params.client_id, clientSecret: params.client_secret }, context.ip);
    const token = params.token;
    if (!token) throw invalidRequest('token');
    // §2.1: the hint only orders the search; both kinds are tried.
    const kinds = params.token_type_hint === 'refresh_token' ? [this.revokeRefreshToken, this.revokeAccessToken] : [this.revokeAccessToken, this.revokeRefreshToken];
    for (const kind of kinds) if (await kind.call(this, token, caller, context)) return;
  }

  /** True when the token was one of this service's access tokens (revoked or not ours to revoke). */
  private async revokeAccessToken(token: string, caller: AuthenticatedClient, context: TokenRequestContext): Promise<boolean> {
    const claims = await this.verifier.verifySignature(token);
    if (!claims) return false;
    if (claims.tenant_id !== caller.tenantId || claims.client_id !== caller.clientId) return true;
    await this.dataSource.transaction(async (m) => {
      await this.revocations.revokeAccessToken(m, { jti: claims.jti, tenantId: claims.tenant_id, expiresAt: new Date(claims.exp * 1000) }, 'revoked_by_client');
      await this.audit.record(
        { action: 'token.revoked', outcome: 'success', tenantId: claims.tenant_id, actor: caller.clientId, target: claims.jti, ip: context.ip, userAgent: context.userAgent, details: { token_type: 'access_token', sub: claims.sub } },
        m,
      );
    });
    return true;
  }

  private async revokeRefreshToken(token: string, caller: AuthenticatedClient, context: TokenRequestContext): Promise<boolean> {
    const found = await this.refreshTokens.describe(token);
    if (!found) return false;
    if (found.tenantId !== caller.tenantId || found.clientPk !== caller.pk) return true;
    await this.dataSource.transaction(async (m) => {
      const families = await this.refreshTokens.revokeFamilies({ tenantId: found.tenantId, familyId: found.familyId }, 'revoked_by_client', m);
      if (!families) return;
      await this.audit.record(
        { action: 'token.revoked', outcome: 'success', tenantId: found.tenantId, actor: caller.clientId, target: found.familyId, ip: context.ip, userAgent: context.userAgent, details: { token_type: 'refresh_token', sub: found.userId } },
        m,
      );
    });
    return true;
  }
}
