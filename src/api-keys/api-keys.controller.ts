import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/admin-policy';
import { AdminRoute, CurrentActor } from '../auth/admin-route.decorator';
import { PageQuery } from '../common/pagination';
import { UuidParam } from '../common/uuid-param.decorator';
import { ApiKeyAdminService } from './api-key-admin.service';
import { ApiKeyPage, ApiKeyResponse, CreatedApiKeyResponse } from './dto/api-key.response';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { RotateApiKeyDto } from './dto/rotate-api-key.dto';

@ApiTags('admin: api-keys')
@Controller('admin/tenants/:tenantId/api-keys')
@AdminRoute('tenant')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeyAdminService) {}

  @Get()
  @ApiOkResponse({ type: ApiKeyPage, description: 'In creation order, revoked keys included.' })
  list(@UuidParam('tenantId') tenantId: string, @Query() page: PageQuery) {
    return this.apiKeys.list(tenantId, page);
  }

  @Post()
  @ApiCreatedResponse({ type: CreatedApiKeyResponse, description: 'The whole key is shown here once.' })
  @ApiBadRequestResponse({ description: 'Invalid body, a scope the tenant does not offer, an expiry in the past, or an allowedIps entry that is no CIDR.' })
  create(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @Body() dto: CreateApiKeyDto) {
    return this.apiKeys.create(actor, tenantId, dto);
  }

  @Get(':keyId')
  @ApiOkResponse({ type: ApiKeyResponse })
  get(@UuidParam('tenantId') tenantId: string, @UuidParam('keyId') id: string) {
    return this.apiKeys.get(tenantId, id);
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked: the key stops working at once; it stays listed with revokedAt.' })
  async revoke(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @UuidParam('keyId') id: string): Promise<void> {
    await this.apiKeys.revoke(actor, tenantId, id);
  }

  @Post(':keyId/rotate')
  @HttpCode(200)
  @ApiOkResponse({ type: CreatedApiKeyResponse, description: 'The new key, shown once; same id. The old key works until the grace ends.' })
  @ApiConflictResponse({ description: 'The key is revoked.' })
  rotate(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @UuidParam('keyId') id: string, @Body() dto: RotateApiKeyDto) {
    return this.apiKeys.rotate(actor, tenantId, id, dto);
  }
}
