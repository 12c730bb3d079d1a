import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { InvalidInputError } from '../common/domain-errors';
import { CurrentPrincipal } from './current-principal.decorator';
import { MeService, type MeResponse } from './me.service';
import type { Principal } from './principal';

@Controller('me')
export class MeController {
  constructor(private readonly me: MeService) {}

  @Get()
  get(@CurrentPrincipal() principal: Principal): Promise<MeResponse> {
    return this.me.me(principal);
  }

  @Post('password')
  @HttpCode(200)
  changePassword(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<{ revokedSessions: number }> {
    const { currentPassword, newPassword } = (body ?? {}) as Record<string, unknown>;
    if (typeof currentPassword !== 'string' || typeof newPassword !== 'string' || newPassword.length > 1024) {
      throw new InvalidInputError('currentPassword and newPassword are required strings.');
    }
    return this.me.changePassword(principal, currentPassword, newPassword);
  }
}
