import { Body, Controller, Get, Header, Post, Query, Redirect, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAdminService } from '../api-keys/api-key-admin.service';
import { CreateApiKeyDto } from '../api-keys/dto/create-api-key.dto';
import { tenantScopes } from '../auth/scopes';
import { Clock } from '../common/clock';
import { NotFoundError } from '../common/domain-errors';
import { Public } from '../common/public.decorator';
import { UuidParam } from '../common/uuid-param.decorator';
import { TenantsService } from '../tenants/tenants.service';
import { requireTenant } from './console-access';
import type { ConsoleCaller } from './console-auth.service';
import { attempt, endOfDay, field, fields, toDto, type Form } from './console-forms';
import { ConsoleView } from './console-view';
import { Caller, ConsoleGuard, ConsoleLoginRedirect } from './console.guard';
import { apiKeysView } from './views/api-keys.view';

/** Screen 1: a tenant's API keys, through ApiKeyAdminService like /admin/tenants/{id}/api-keys. */
@ApiExcludeController()
@Public()
@Controller('console/tenants/:tenantId/api-keys')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleLoginRedirect)
export class ApiKeysConsole {
  constructor(
    private readonly apiKeys: ApiKeyAdminService,
    private readonly tenants: TenantsService,
    private readonly view: ConsoleView,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  async list(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @Query('cursor') cursor?: string): Promise<string> {
    requireTenant(caller, tenantId);
    const tenant = await this.tenants.get(tenantId);
    const page = await this.apiKeys.list(tenantId, { cursor: typeof cursor === 'string' && cursor ? cursor : undefined, limit: 50 });
    const body = apiKeysView({ base: req.url.split('?')[0], csrf: caller.session.csrf, scopes: tenantScopes(tenant), keys: page.items, nextCursor: page.nextCursor, cursor, now: this.clock.now() });
    return this.view.page(req, caller, { title: `API keys of ${tenant.slug}`, tenantId, active: 'api-keys', body });
  }

  /** The key goes into the session's one-time message: shown on the next page, gone after a reload. */
  @Post()
  @Redirect('', 303)
  async create(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @Body() form: Form): Promise<{ url: string }> {
    requireTenant(caller, tenantId);
    await attempt(caller, async () => {
      const dto = await toDto(CreateApiKeyDto, { name: field(form, 'name'), scopes: fields(form, 'scopes'), expiresAt: endOfDay(field(form, 'expires')) });
      const created = await this.apiKeys.create(caller.actor, tenantId, dto);
      caller.session.flash = { kind: 'secret', text: `API key "${created.name}" created`, label: `API key (client_secret; its client_id is ${created.id})`, secret: created.key };
    });
    return { url: req.url };
  }

  @Post('revoke')
  @Redirect('', 303)
  async revoke(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @Body() form: Form): Promise<{ url: string }> {
    requireTenant(caller, tenantId);
    const ids = fields(form, 'ids');
    await attempt(caller, async () => {
      if (!ids.length) return 'Select at least one key to revoke.';
      if (!ids.every((id) => isUUID(id))) throw new NotFoundError('No such API key.');
      for (const id of ids) await this.apiKeys.revoke(caller.actor, tenantId, id);
      return `Revoked ${ids.length} API key${ids.length === 1 ? '' : 's'}.`;
    });
    return { url: req.url.replace(/\/revoke$/, '') };
  }
}
