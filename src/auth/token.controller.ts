import { Body, Controller, Header, Headers, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../common/public.decorator';
import { ApiOAuthErrors, OAuthIntrospectionResponse, OAuthTokenOperationRequest } from '../docs/oauth.schemas';
import { OAuthThrottlerGuard } from '../throttling/oauth-throttler.guard';
import { IntrospectionService, type IntrospectionResponse } from './introspection.service';
import { TokenRevocationService } from './token-revocation.service';
import type { TokenRequestContext } from './token.service';

@ApiTags('oauth')
@Controller()
@UseGuards(OAuthThrottlerGuard)
export class TokenController {
  constructor(
    private readonly revocation: TokenRevocationService,
    private readonly introspection: IntrospectionService,
  ) {}

  /** RFC 7009 revocation (contract 2.4): 200 whether or not the token existed. */
  @Public()
  @Post('revoke')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @Header('pragma', 'no-cache')
  @ApiOperation({
    summary: 'RFC 7009 token revocation',
    description:
      'A refresh token revokes its whole family (one login) and the access tokens issued from it; an access token is refused from then on by its jti. A client revokes only tokens issued to it; any other token, unknown or expired, still answers 200.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: OAuthTokenOperationRequest })
  @ApiBasicAuth()
  @ApiSecurity({})
  // RFC 7009 §2.2: the body carries nothing; an empty JSON object keeps every answer JSON.
  @ApiOkResponse({ description: 'Revoked, or nothing to revoke.', schema: { type: 'object', example: {} } })
  @ApiOAuthErrors()
  async revoke(@Body() body: unknown, @Headers('authorization') authorization: string | undefined, @Req() req: FastifyRequest): Promise<Record<string, never>> {
    await this.revocation.revoke(body, contextOf(authorization, req));
    return {};
  }

  /** RFC 7662 introspection (contract 2.4), revocation-aware, confined to the caller's tenant. */
  @Public()
  @Post('introspect')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @Header('pragma', 'no-cache')
  @ApiOperation({
    summary: 'RFC 7662 token introspection',
    description:
      'For a confidential client or an API key. Inactive: expired, revoked (by jti, family, logout-all or password change), of a disabled or deleted user, of a suspended or deleted tenant, signed by a revoked key, or of another tenant. token_type tells an access token from a refresh token.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: OAuthTokenOperationRequest })
  @ApiBasicAuth()
  @ApiOkResponse({ type: OAuthIntrospectionResponse })
  @ApiOAuthErrors()
  introspect(@Body() body: unknown, @Headers('authorization') authorization: string | undefined, @Req() req: FastifyRequest): Promise<IntrospectionResponse> {
    return this.introspection.introspect(body, contextOf(authorization, req));
  }
}

function contextOf(authorization: string | undefined, req: FastifyRequest): TokenRequestContext {
  return { authorization, ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null };
}
