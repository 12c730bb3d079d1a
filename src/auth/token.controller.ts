import { Body, Controller, Header, Headers, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../common/public.decorator';
import { ApiOAuthErrors, OAuthTokenRequest, OAuthTokenResponse } from '../docs/oauth.schemas';
import { OAuthThrottlerGuard } from '../throttling/oauth-throttler.guard';
import type { TokenResponse } from './grants/grant';
import { TokenService } from './token.service';

@ApiTags('oauth')
@Controller()
@UseGuards(OAuthThrottlerGuard)
export class TokenController {
  constructor(private readonly tokens: TokenService) {}

  /** RFC 6749 §3.2 token endpoint (contract 2.1). */
  @Public()
  @Post('token')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @Header('pragma', 'no-cache')
  @ApiOperation({
    summary: 'RFC 6749 token endpoint: grants password, refresh_token, client_credentials',
    description:
      'Client authentication by HTTP Basic (client_secret_basic) or client_id and client_secret in the body (client_secret_post); a public client sends only client_id. Answers carry Cache-Control: no-store.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: OAuthTokenRequest })
  // Basic is optional: public clients and client_secret_post send none.
  @ApiBasicAuth()
  @ApiSecurity({})
  @ApiOkResponse({ type: OAuthTokenResponse })
  @ApiOAuthErrors()
  token(@Body() body: unknown, @Headers('authorization') authorization: string | undefined, @Req() req: FastifyRequest): Promise<TokenResponse> {
    return this.tokens.exchange(body, { authorization, ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null });
  }
}
