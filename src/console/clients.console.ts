import { Body, Controller, Get, Header, Post, Query, Redirect, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { tenantScopes } from '../auth/scopes';
import { ClientAdminService } from '../clients/client-admin.service';
import { CreateClientDto } from '../clients/dto/create-client.dto';
import { Public } from '../common/public.decorator';
import { UuidParam } from '../common/uuid-param.decorator';
import { TenantsService } from '../tenants/tenants.service';
import { requireTenant } from './console-access';
import type { ConsoleCaller } from './console-auth.service';
import { attempt, field, fields, toDto, type Form } from './console-forms';
import { ConsoleView } from './console-view';
import { Caller, ConsoleGuard, ConsoleLoginRedirect } from './console.guard';
import { clientsView } from './views/clients.view';

/** Screen 3: a tenant's OAuth clients, through ClientAdminService like /admin/tenants/{id}/clients. */
@ApiExcludeController()
@Public()
@Controller('console/tenants/:tenantId/clients')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleLoginRedirect)
export class ClientsConsole {
  constructor(
    private readonly clients: ClientAdminService,
    private readonly tenants: TenantsService,
    private readonly view: ConsoleView,
  ) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  async list(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @Query('cursor') cursor?: string): Promise<string> {
    requireTenant(caller, tenantId);
    const c = typeof cursor === 'string' && cursor ? cursor.slice(0, 300) : undefined;
    const [tenant, page] = await Promise.all([this.tenants.get(tenantId), this.clients.list(tenantId, { cursor: c, limit: 50 })]);
    const body = clientsView({ base: req.url.split('?')[0], csrf: caller.session.csrf, scopes: tenantScopes(tenant), clients: page.items, cursor: c, nextCursor: page.nextCursor });
    return this.view.page(req, caller, { title: `Clients of ${tenant.slug}`, tenantId, active: 'clients', body });
  }

  @Post()
  @Redirect('', 303)
  async create(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @Body() form: Form): Promise<{ url: string }> {
    requireTenant(caller, tenantId);
    await attempt(caller, async () => {
      const dto = await toDto(CreateClientDto, { name: field(form, 'name'), type: field(form, 'type'), grantTypes: fields(form, 'grantTypes'), scopes: fields(form, 'scopes') });
      const created = await this.clients.create(caller.actor, tenantId, dto);
      if (!created.clientSecret) return `Client "${created.name}" created: client_id ${created.clientId}.`;
      caller.session.flash = { kind: 'secret', text: `Client "${created.name}" created`, label: `Client secret (client_id ${created.clientId})`, secret: created.clientSecret };
    });
    return { url: req.url };
  }

  @Post(':clientId/rotate-secret')
  @Redirect('', 303)
  async rotate(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @UuidParam('clientId') id: string): Promise<{ url: string }> {
    requireTenant(caller, tenantId);
    await attempt(caller, async () => {
      const rotated = await this.clients.rotateSecret(caller.actor, tenantId, id);
      caller.session.flash = { kind: 'secret', text: `New secret of "${rotated.name}"`, label: `Client secret (client_id ${rotated.clientId})`, secret: rotated.clientSecret };
    });
    return { url: req.url.replace(/\/[^/]+\/rotate-secret$/, '') };
  }

  @Post(':clientId/delete')
  @Redirect('', 303)
  async delete(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @UuidParam('clientId') id: string): Promise<{ url: string }> {
    requireTenant(caller, tenantId);
    await attempt(caller, async () => {
      await this.clients.delete(caller.actor, tenantId, id);
      return 'Client deleted.';
    });
    return { url: req.url.replace(/\/[^/]+\/delete$/, '') };
  }
}
