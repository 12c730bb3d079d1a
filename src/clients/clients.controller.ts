import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/admin-policy';
import { AdminRoute, CurrentActor } from '../auth/admin-route.decorator';
import { PageQuery } from '../common/pagination';
import { UuidParam } from '../common/uuid-param.decorator';
import { ClientAdminService } from './client-admin.service';
import { ClientPage, ClientResponse, ClientWithSecretResponse } from './dto/client.response';
import { CreateClientDto } from './dto/create-client.dto';
import { UpdateClientDto } from './dto/update-client.dto';

/** `:clientId` is the client's UUID `id` (as in Keycloak's admin API); the OAuth client_id is in the body. */
@ApiTags('admin: clients')
@Controller('admin/tenants/:tenantId/clients')
@AdminRoute('tenant')
export class ClientsController {
  constructor(private readonly clients: ClientAdminService) {}

  @Get()
  @ApiOkResponse({ type: ClientPage, description: 'In creation order.' })
  list(@UuidParam('tenantId') tenantId: string, @Query() page: PageQuery) {
    return this.clients.list(tenantId, page);
  }

  @Post()
  @ApiCreatedResponse({ type: ClientWithSecretResponse, description: 'A confidential client’s clientSecret is shown here once.' })
  @ApiBadRequestResponse({ description: 'Invalid body, a scope the tenant does not offer, or client_credentials for a public client.' })
  create(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @Body() dto: CreateClientDto) {
    return this.clients.create(actor, tenantId, dto);
  }

  @Get(':clientId')
  @ApiOkResponse({ type: ClientResponse })
  get(@UuidParam('tenantId') tenantId: string, @UuidParam('clientId') id: string) {
    return this.clients.get(tenantId, id);
  }

  @Patch(':clientId')
  @ApiOkResponse({ type: ClientResponse })
  @ApiBadRequestResponse({ description: 'Invalid body, a scope the tenant does not offer, or client_credentials for a public client.' })
  update(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @UuidParam('clientId') id: string, @Body() dto: UpdateClientDto) {
    return this.clients.update(actor, tenantId, id, dto);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, after its sessions were revoked.' })
  @ApiConflictResponse({ description: 'The bootstrap client admin-cli cannot be deleted.' })
  async delete(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @UuidParam('clientId') id: string): Promise<void> {
    await this.clients.delete(actor, tenantId, id);
  }

  @Post(':clientId/rotate-secret')
  @HttpCode(200)
  @ApiOkResponse({ type: ClientWithSecretResponse, description: 'The new clientSecret, shown once; the old one stops working.' })
  @ApiConflictResponse({ description: 'A public client has no secret.' })
  rotateSecret(@CurrentActor() actor: Actor, @UuidParam('tenantId') tenantId: string, @UuidParam('clientId') id: string) {
    return this.clients.rotateSecret(actor, tenantId, id);
  }
}
