// RFC 6749 §4.4 (client credentials), for confidential clients and API keys (contract 5.1).
import { Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service';
import { OAuthError } from '../../common/oauth-error';
import { RevocationCache } from '../../verify/revocation-cache';
import { AccessTokenService } from '../access-token.service';
import { grantScope, parseScope, tenantScopes } from '../scopes';
import type { GrantHandler, GrantRequest, TokenResponse } from './grant';

@Injectable()
export class ClientCredentialsGrant implements GrantHandler {
  readonly grantType = 'client_credentials';
  readonly required = [];

  constructor(
    private readonly cache: RevocationCache,
    private readonly accessTokens: AccessTokenService,
    private readonly audit: AuditService,
  ) {}

  async handle({ client, params, ip, userAgent }: GrantRequest): Promise<TokenResponse> {
    const requested = parseScope(params.scope);
    // RFC 6749 §4.4.2: only a client that can authenticate may use this grant.
    if (!client.confidential) throw new OAuthError('unauthorized_client', { detail: 'public client' });
    // From the revocation cache, as /verify judges the tenant: a suspension or settings change made
    // on another instance counts within REVOCATION_CACHE_STALENESS, one made here at once.
    const tenant = this.cache.tenant(client.tenantId) ?? (await this.cache.loadTenant(client.tenantId));
    if (!tenant || !tenant.active) throw new OAuthError('invalid_grant', { detail: 'tenant suspended' });
    const scope = grantScope(requested, client.scopes, tenantScopes(tenant));
    // The jti is fixed first, so the signature and the durable audit event proceed together:
    // the answer waits for the slower of the two, not their sum.
    const prepared = this.accessTokens.prepare(tenant.settings);
    const [access] = await Promise.all([
      this.accessTokens.issue({ tenant, sub: client.clientId, clientId: client.clientId, audience: client.audience, scope }, prepared),
      this.audit.record({
        action: 'token.issued',
        outcome: 'success',
        tenantId: tenant.id,
        actor: client.clientId,
        target: client.clientId,
        ip,
        userAgent,
        details: { grant_type: this.grantType, credential: client.kind, jti: prepared.jti, scope: scope.join(' ') },
      }),
    ]);
    // RFC 6749 §4.4.3: no refresh token.
    return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope: scope.join(' ') };
  }
}
