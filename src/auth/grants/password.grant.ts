// RFC 6749 §4.3 (resource owner password credentials). The tenant is the client's tenant.
import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type AuditRecord } from '../../audit/audit.service';
import { OAuthError } from '../../common/oauth-error';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { RefreshTokensService } from '../../sessions/refresh-tokens.service';
import { UsersService } from '../../users/users.service';
import { AccessTokenService } from '../access-token.service';
import { grantScope, parseScope, tenantScopes } from '../scopes';
import type { GrantHandler, GrantRequest, TokenResponse } from './grant';
import { refreshLifetimes } from './lifetimes';

@Injectable()
export class PasswordGrant implements GrantHandler {
  readonly grantType = 'password';
  readonly required = ['username', 'password'];

  constructor(
    private readonly users: UsersService,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle({ client, params, ip, userAgent }: GrantRequest): Promise<TokenResponse> {
    const requested = parseScope(params.scope);
    // The tenant's state comes with the password check, which always costs one argon2id
    // verification, so a suspended tenant takes as long as a wrong password.
    const verified = this.refreshTokens.verifying();
    const { tenant, user } = await this.users.verifyLogin(client.tenantId, params.username, params.password).finally(verified);
    const context = { tenantId: client.tenantId, ip, userAgent };
    if (!tenant || tenant.status !== 'active' || !user) {
      await this.audit.record({
        ...context,
        action: 'login.failed',
        outcome: 'failure',
        target: params.username.slice(0, 200),
        details: { client_id: client.clientId },
      });
      throw new OAuthError('invalid_grant', { detail: 'wrong credentials, locked or disabled user, or suspended tenant' });
    }
    const scope = grantScope(requested, user.scopes, client.scopes, tenantScopes(tenant));
    // The jti and expiry are fixed first, so signing and the writes can proceed together.
    const prepared = this.accessTokens.prepare(tenant.settings);
    const succeeded: AuditRecord = {
      ...context,
      action: 'login.succeeded',
      outcome: 'success',
      actor: user.id,
      target: user.id,
      details: { client_id: client.clientId, jti: prepared.jti, scope: scope.join(' ') },
    };
    const [access, refresh] = await Promise.all([
      this.accessTokens.issue({ tenant, sub: user.id, clientId: client.clientId, audience: client.audience, scope }, prepared),
      // With a refresh token, the login's event is written in the same statement as its family.
      client.grantTypes.includes('refresh_token')
        ? this.refreshTokens.issue(
            { tenantId: tenant.id, userId: user.id, clientPk: client.pk, scope: scope.join(' '), accessJti: prepared.jti, accessExpiresAt: prepared.expiresAt },
            refreshLifetimes(tenant.settings, this.config),
            succeeded,
          )
        : this.audit.record(succeeded).then(() => null),
    ]);
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      ...(refresh ? { refresh_token: refresh.token } : {}),
      scope: scope.join(' '),
    };
  }
}
