import { Body, Controller, Header, Headers, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '../common/public.decorator';
import { OAuthThrottlerGuard } from '../throttling/oauth-throttler.guard';
import type { TokenResponse } from './grants/grant';
import { TokenService } from './token.service';

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
  token(@Body() body: unknown, @Headers('authorization') authorization: string | undefined, @Req() req: FastifyRequest): Promise<TokenResponse> {
    return this.tokens.exchange(body, { authorization, ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null });
  }
}
