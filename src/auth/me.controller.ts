import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ChangePasswordResponse, MeResponseBody } from '../docs/account.schemas';
import { ChangePasswordDto } from './dto/change-password.dto';
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
  @ApiOkResponse({ type: ChangePasswordResponse })
  changePassword(@CurrentPrincipal() principal: Principal, @Body() dto: ChangePasswordDto): Promise<{ revokedSessions: number }> {
    return this.me.changePassword(principal, dto.currentPassword, dto.newPassword);
  }
}
