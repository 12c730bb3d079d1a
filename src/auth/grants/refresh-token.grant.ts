// RFC 6749 §6 (refreshing an access token) with RFC 9700 §4.14.2 rotation and reuse detection.
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock';
import { OAuthError } from '../../common/oauth-error';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { RefreshTokensService } from '../../sessions/refresh-tokens.service';
import { AccessTokenService } from '../access-token.service';
import { grantScope, parseScope, tenantScopes } from '../scopes';
import type { GrantHandler, GrantRequest, TokenResponse } from './grant';

@Injectable()
export class RefreshTokenGrant implements GrantHandler {
  readonly grantType = 'refresh_token';
  readonly required = ['refresh_token'];

  constructor(
    private readonly refreshTokens: RefreshTokensService,
    private readonly accessTokens: AccessTokenService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle({ client, params, ip, userAgent }: GrantRequest): Promise<TokenResponse> {
    // RFC 6749 §6: the scope may only narrow what the family was granted (checked in the rotation).
    const requested = parseScope(params.scope);
    const iat = this.clock.nowSeconds();
    const jti = randomUUID();
    const outcome = await this.refreshTokens.rotate({
      presented: params.refresh_token,
      clientPk: client.pk,
      requested,
      accessJti: jti,
      now: new Date(iat * 1000),
      defaultAccessTtl: this.config.tokens.accessTtl,
      defaultIdleTtl: this.config.tokens.refreshIdleTtl,
      clientId: client.clientId,
      ip,
      userAgent,
    });
    if (outcome.kind === 'unknown') throw new OAuthError('invalid_grant', { detail: 'unknown refresh token' });
    if (outcome.kind === 'reused') {
      await this.refreshTokens.recordReuse(outcome.row, { ip, userAgent });
      throw new OAuthError('invalid_grant', { detail: `refresh token reused; family ${outcome.row.family_id} revoked` });
    }
    if (outcome.kind === 'refused') {
      const narrowing = outcome.reason === 'scope outside the grant';
      throw new OAuthError(narrowing ? 'invalid_scope' : 'invalid_grant', { detail: outcome.reason });
    }
    const { row, token } = outcome;
    const tenant = { id: row.tenant_id, slug: row.tenant_slug, settings: row.tenant_settings, scopes: row.tenant_scopes };
    // The grant as it stands now: an admin may have taken scopes from the user or client since.
    const scope = grantScope(null, requested ?? row.family_scope.split(' '), row.user_scopes, client.scopes, tenantScopes(tenant));
    // The jti and iat were fixed before the rotation recorded them; the expiry follows from them.
    const expiresIn = this.accessTokens.lifetime(tenant.settings);
    const access = await this.accessTokens.issue(
      { tenant, sub: row.user_id, clientId: client.clientId, audience: client.audience, scope },
      { jti, iat, expiresIn, expiresAt: new Date((iat + expiresIn) * 1000) },
    );
    return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, refresh_token: token, scope: scope.join(' ') };
  }
}
