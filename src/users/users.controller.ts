import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/admin-policy';
import { AdminRoute, CurrentActor } from '../auth/admin-route.decorator';
import { PageQuery } from '../common/pagination';
import { UuidParam } from '../common/uuid-param.decorator';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { RevokedSessionsResponse, SessionPage, UserPage, UserResponse } from './dto/user.response';
import { UserAdminService } from './user-admin.service';

@ApiTags('admin: users')
@Controller('admin/tenants/:tenantId/users')
@AdminRoute('tenant')
export class UsersController {
  constructor(private readonly users: UserAdminService) {}

  @Get()
  @ApiOkResponse({ type: UserPage })
  list(@UuidParam('tenantId') tenantId: string, @Query() page: PageQuery) {
    return this.users.list(tenantId, page);
  }

  @Post()
  @ApiCreatedResponse({ type: UserResponse })
  @ApiBadRequestResponse({ description: 'Invalid body, a scope the tenant does not offer, or a short or common password.' })
  @ApiConflictResponse({ description: 'The username is taken in this tenant.' })
  create(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @Body() dto: CreateUserDto) {
    return this.users.create(actor, tenantId, dto);
  }

  @Get(':userId')
  @ApiOkResponse({ type: UserResponse })
  get(@UuidParam('tenantId') tenantId: string, @UuidParam('userId') userId: string) {
    return this.users.get(tenantId, userId);
  }

  @Patch(':userId')
  @ApiOkResponse({ type: UserResponse })
  update(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @UuidParam('userId') userId: string, @Body() dto: UpdateUserDto) {
    return this.users.update(actor, tenantId, userId, dto);
  }

  @Delete(':userId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, after its sessions were revoked.' })
  async delete(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @UuidParam('userId') userId: string): Promise<void> {
    await this.users.delete(actor, tenantId, userId);
  }

  @Get(':userId/sessions')
  @ApiOkResponse({ type: SessionPage, description: 'Live logins (refresh-token families), newest first.' })
  sessions(@UuidParam('tenantId') tenantId: string, @UuidParam('userId') userId: string, @Query() page: PageQuery) {
    return this.users.listSessions(tenantId, userId, page);
  }

  @Delete(':userId/sessions')
  @ApiOkResponse({ type: RevokedSessionsResponse })
  revokeSessions(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @UuidParam('userId') userId: string) {
    return this.users.revokeSessions(actor, tenantId, userId);
  }
}
