// RFC 6749 §4.3 (resource owner password credentials). The tenant is the client's tenant.
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { OAuthError } from '../../common/oauth-error';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { RefreshTokensService } from '../../sessions/refresh-tokens.service';
import { TenantsService } from '../../tenants/tenants.service';
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
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle({ client, params, ip, userAgent }: GrantRequest): Promise<TokenResponse> {
    const requested = parseScope(params.scope);
    const tenant = await this.tenants.findById(client.tenantId);
    const user = tenant?.status === 'active' ? await this.users.verifyLogin(tenant.id, params.username, params.password) : null;
    const context = { tenantId: client.tenantId, ip, userAgent };
    if (!tenant || !user) {
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
    const access = await this.accessTokens.issue({ tenant, sub: user.id, clientId: client.clientId, audience: client.audience, scope });
    const refresh = client.grantTypes.includes('refresh_token')
      ? await this.refreshTokens.issue(
          { tenantId: tenant.id, userId: user.id, clientPk: client.pk, scope: scope.join(' '), accessJti: access.jti, accessExpiresAt: access.expiresAt },
          refreshLifetimes(tenant.settings, this.config),
        )
      : null;
    await this.audit.record({
      ...context,
      action: 'login.succeeded',
      outcome: 'success',
      actor: user.id,
      target: user.id,
      details: { client_id: client.clientId, jti: access.jti, family: refresh?.familyId ?? null, scope: scope.join(' ') },
    });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      ...(refresh ? { refresh_token: refresh.token } : {}),
      scope: scope.join(' '),
    };
  }
}
