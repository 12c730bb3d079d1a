import { Body, Controller, Get, Header, Post, Query, Redirect, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { InvalidInputError } from '../common/domain-errors';
import { Public } from '../common/public.decorator';
import { UuidParam } from '../common/uuid-param.decorator';
import { CreateTenantDto } from '../tenants/dto/create-tenant.dto';
import { UpdateTenantDto } from '../tenants/dto/update-tenant.dto';
import { TenantsService } from '../tenants/tenants.service';
import { requirePlatform, requireTenant } from './console-access';
import type { ConsoleCaller } from './console-auth.service';
import { attempt, field, toDto, type Form } from './console-forms';
import { ConsoleView } from './console-view';
import { html } from './html';
import { Caller, ConsoleGuard, ConsoleLoginRedirect } from './console.guard';
import { pager } from './views/common';
import { tenantSettings, tenantsList } from './views/tenants.view';

const HTML = 'text/html; charset=utf-8';

/** A number field: empty means "back to the default" (null), anything else must be an integer. */
function seconds(form: Form, name: string): number | null {
  const v = field(form, name).trim();
  if (!v) return null;
  if (!/^\d{1,10}$/.test(v)) throw new InvalidInputError('must be a whole number', name);
  return Number(v);
}

/** Screen 6: tenants (list and create: platform admins), and a tenant's settings, through TenantsService like /admin/tenants. */
@ApiExcludeController()
@Public()
@Controller('console/tenants')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleLoginRedirect)
export class TenantsConsole {
  constructor(
    private readonly tenants: TenantsService,
    private readonly view: ConsoleView,
  ) {}

  @Get()
  @Header('content-type', HTML)
  async list(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @Query('cursor') cursor?: string): Promise<string> {
    requirePlatform(caller);
    const c = typeof cursor === 'string' && cursor ? cursor.slice(0, 300) : undefined;
    const page = await this.tenants.list({ cursor: c, limit: 100 });
    const body = html`${tenantsList(page.items, caller.session.csrf)}${pager('/console/tenants', { cursor: c }, page.nextCursor, !c)}`;
    return this.view.page(req, caller, { title: 'Tenants', active: 'tenants', body });
  }

  @Post()
  @Redirect('/console/tenants', 303)
  async create(@Caller() caller: ConsoleCaller, @Body() form: Form): Promise<void> {
    requirePlatform(caller);
    await attempt(caller, async () => {
      const scopes = field(form, 'scopes').split(/\s+/).filter(Boolean);
      const dto = await toDto(CreateTenantDto, { slug: field(form, 'slug'), name: field(form, 'name'), ...(scopes.length ? { scopes } : {}) });
      const created = await this.tenants.create(caller.actor, dto);
      return `Tenant "${created.slug}" created; its login client is ${created.defaultClient.clientId}.`;
    });
  }

  @Get(':tenantId/settings')
  @Header('content-type', HTML)
  async settings(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string): Promise<string> {
    requireTenant(caller, tenantId);
    const tenant = await this.tenants.get(tenantId);
    const body = tenantSettings({ base: req.url, csrf: caller.session.csrf, tenant, platform: caller.actor.platform });
    return this.view.page(req, caller, { title: `Settings of ${tenant.slug}`, tenantId, active: 'settings', body });
  }

  @Post(':tenantId/settings')
  @Redirect('', 303)
  async save(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @Body() form: Form): Promise<{ url: string }> {
    requireTenant(caller, tenantId);
    await attempt(caller, async () => {
      const settings: Record<string, unknown> = { accessTokenTtl: seconds(form, 'accessTokenTtl'), refreshTokenTtl: seconds(form, 'refreshTokenTtl'), refreshIdleTtl: seconds(form, 'refreshIdleTtl') };
      if (caller.actor.platform) {
        const quota = { perSubjectPerMinute: seconds(form, 'perSubjectPerMinute'), perSubjectPerDay: seconds(form, 'perSubjectPerDay'), perTenantPerMinute: seconds(form, 'perTenantPerMinute') };
        settings.quota = Object.values(quota).some((v) => v !== null) ? quota : null;
      }
      await this.tenants.update(caller.actor, tenantId, await toDto(UpdateTenantDto, { name: field(form, 'name'), settings }));
      return 'Settings saved.';
    });
    return { url: req.url };
  }

  @Post(':tenantId/settings/status')
  @Redirect('', 303)
  async status(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @Body() form: Form): Promise<{ url: string }> {
    requirePlatform(caller);
    await attempt(caller, async () => {
      const updated = await this.tenants.update(caller.actor, tenantId, await toDto(UpdateTenantDto, { status: field(form, 'status') }));
      return updated.status === 'suspended' ? 'Tenant suspended.' : 'Tenant reactivated.';
    });
    return { url: req.url.replace(/\/status$/, '') };
  }
}
