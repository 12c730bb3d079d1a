import { Controller, Get, Header, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../common/public.decorator';
import { UuidParam } from '../common/uuid-param.decorator';
import { TenantsService } from '../tenants/tenants.service';
import { QuotaService } from '../verify/quota.service';
import { requireTenant } from './console-access';
import type { ConsoleCaller } from './console-auth.service';
import { ConsoleView } from './console-view';
import { Caller, ConsoleGuard, ConsoleLoginRedirect } from './console.guard';
import { tenantQuotas } from './views/quotas.view';

/** Screen 7: a tenant's quotas (contract 2.7) and its latest 429s, for its admins and platform admins. */
@ApiExcludeController()
@Public()
@Controller('console/tenants')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleLoginRedirect)
export class QuotasConsole {
  constructor(
    private readonly tenants: TenantsService,
    private readonly quotas: QuotaService,
    private readonly view: ConsoleView,
  ) {}

  @Get(':tenantId/quotas')
  @Header('content-type', 'text/html; charset=utf-8')
  async show(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string): Promise<string> {
    requireTenant(caller, tenantId);
    const tenant = await this.tenants.get(tenantId);
    const body = tenantQuotas({ tenant, refusals: this.quotas.recentRefusals(tenant.id), platform: caller.actor.platform });
    return this.view.page(req, caller, { title: `Quotas of ${tenant.slug}`, tenantId, active: 'quotas', body });
  }
}
