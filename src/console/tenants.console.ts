import { Controller, Get, Header, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../common/public.decorator';
import { TenantsService } from '../tenants/tenants.service';
import { requirePlatform } from './console-access';
import type { ConsoleCaller } from './console-auth.service';
import { ConsoleView } from './console-view';
import { Caller, ConsoleGuard, ConsoleLoginRedirect } from './console.guard';
import { pager } from './views/common';
import { tenantsList } from './views/tenants.view';

/** Screen 6 (platform admins): the tenants, through TenantsService like /admin/tenants. */
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
  @Header('content-type', 'text/html; charset=utf-8')
  async list(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @Query('cursor') cursor?: string): Promise<string> {
    requirePlatform(caller);
    const page = await this.tenants.list({ cursor: typeof cursor === 'string' && cursor ? cursor : undefined, limit: 100 });
    const body = tenantsList(page.items);
    return this.view.page(req, caller, { title: 'Tenants', active: 'tenants', body: [body, pager('/console/tenants', { cursor }, page.nextCursor, !cursor)] as never });
  }
}
