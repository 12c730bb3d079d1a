import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/admin-policy';
import { AdminRoute, CurrentActor } from '../auth/admin-route.decorator';
import { PageQuery } from '../common/pagination';
import { UuidParam } from '../common/uuid-param.decorator';
import { CreateTenantDto } from './dto/create-tenant.dto';
import { CreatedTenantResponse, TenantPage, TenantResponse } from './dto/tenant.response';
import { UpdateTenantDto } from './dto/update-tenant.dto';
import { TenantsService } from './tenants.service';

@ApiTags('admin: tenants')
@Controller('admin/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @AdminRoute('platform')
  @ApiOkResponse({ type: TenantPage })
  list(@Query() page: PageQuery) {
    return this.tenants.list(page);
  }

  @Post()
  @AdminRoute('platform')
  @ApiCreatedResponse({ type: CreatedTenantResponse, description: 'The tenant and its default public client.' })
  @ApiConflictResponse({ description: 'The slug is taken.' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateTenantDto) {
    return this.tenants.create(actor, dto);
  }

  @Get(':tenantId')
  @AdminRoute('tenant')
  @ApiOkResponse({ type: TenantResponse })
  get(@UuidParam('tenantId') tenantId: string) {
    return this.tenants.get(tenantId);
  }

  @Patch(':tenantId')
  @AdminRoute('tenant')
  @ApiOkResponse({ type: TenantResponse })
  @ApiConflictResponse({ description: 'The system tenant cannot be suspended.' })
  update(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @Body() dto: UpdateTenantDto) {
    return this.tenants.update(actor, tenantId, dto);
  }

  @Delete(':tenantId')
  @AdminRoute('platform')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, after every session of the tenant was revoked.' })
  @ApiConflictResponse({ description: 'The system tenant cannot be deleted.' })
  async delete(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string): Promise<void> {
    await this.tenants.delete(actor, tenantId);
  }
}
