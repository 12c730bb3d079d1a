import { Inject, Injectable } from '@nestjs/common';
import { OAuthError } from '../common/oauth-error';
import { ClientAuthService } from './client-auth.service';
import { GRANT_HANDLERS, type GrantHandler, type TokenResponse } from './grants/grant';
import { invalidRequest, readParams } from './oauth-params';

export interface TokenRequestContext {
  authorization?: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * POST /token: validates the parameters, authenticates the client and hands the request to
 * the grant's handler. It alone answers unsupported_grant_type and unauthorized_client.
 */
@Injectable()
export class TokenService {
  private readonly handlers: ReadonlyMap<string, GrantHandler>;

  constructor(
    private readonly clientAuth: ClientAuthService,
    @Inject(GRANT_HANDLERS) handlers: GrantHandler[],
  ) {
    this.handlers = new Map(handlers.map((h) => [h.grantType, h]));
  }

  async exchange(body: unknown, context: TokenRequestContext): Promise<TokenResponse> {
    const params = readParams(body);
    const grantType = params.grant_type;
    if (!grantType) throw invalidRequest('grant_type');
    const handler = this.handlers.get(grantType);
    if (!handler) throw new OAuthError('unsupported_grant_type', { detail: `grant_type ${grantType.slice(0, 50)}` });
    // Every grant: a client or key limited by address is refused from elsewhere before any grant runs.
    const client = await this.clientAuth.authenticate(
      { authorization: context.authorization, clientId: params.client_id, clientSecret: params.client_secret },
      context.ip,
    );
    if (!client.grantTypes.includes(grantType)) {
      throw new OAuthError('unauthorized_client', { detail: `${client.clientId} may not use ${grantType}` });
    }
    for (const name of handler.required) if (!params[name]) throw invalidRequest(name);
    return handler.handle({ client, params, ip: context.ip, userAgent: context.userAgent });
  }
}
