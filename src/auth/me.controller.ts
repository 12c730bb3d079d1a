import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { InvalidInputError } from '../common/domain-errors';
import { ChangePasswordBody, ChangePasswordResponse, MeResponseBody } from '../docs/account.schemas';
import { CurrentPrincipal } from './current-principal.decorator';
import { MeService, type MeResponse } from './me.service';
import type { Principal } from './principal';

@ApiTags('me')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No valid bearer token.' })
@Controller('me')
export class MeController {
  constructor(private readonly me: MeService) {}

  @Get()
  @ApiOperation({ summary: 'Who the bearer token speaks for' })
  @ApiOkResponse({ type: MeResponseBody })
  get(@CurrentPrincipal() principal: Principal): Promise<MeResponse> {
    return this.me.me(principal);
  }

  @Post('password')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change the password; revokes every other session of the user' })
  @ApiBody({ type: ChangePasswordBody })
  @ApiOkResponse({ type: ChangePasswordResponse })
  changePassword(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<{ revokedSessions: number }> {
    const { currentPassword, newPassword } = (body ?? {}) as Record<string, unknown>;
    if (typeof currentPassword !== 'string' || typeof newPassword !== 'string' || newPassword.length > 1024) {
      throw new InvalidInputError('currentPassword and newPassword are required strings.');
    }
    return this.me.changePassword(principal, currentPassword, newPassword);
  }
}
