import { Body, Controller, Get, Header, Post, Query, Redirect, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { tenantScopes } from '../auth/scopes';
import { NotFoundError } from '../common/domain-errors';
import { Public } from '../common/public.decorator';
import { UuidParam } from '../common/uuid-param.decorator';
import { TenantsService } from '../tenants/tenants.service';
import { CreateUserDto } from '../users/dto/create-user.dto';
import { UpdateUserDto } from '../users/dto/update-user.dto';
import { UserAdminService } from '../users/user-admin.service';
import { requireTenant } from './console-access';
import type { ConsoleCaller } from './console-auth.service';
import { attempt, field, fields, toDto, type Form } from './console-forms';
import { ConsoleView } from './console-view';
import { Caller, ConsoleGuard, ConsoleLoginRedirect } from './console.guard';
import { usersView, userView } from './views/users.view';

const HTML = 'text/html; charset=utf-8';
const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v.slice(0, 300) : undefined);

/** Screen 2: a tenant's users and their sessions, through UserAdminService like /admin/tenants/{id}/users. */
@ApiExcludeController()
@Public()
@Controller('console/tenants/:tenantId/users')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleLoginRedirect)
export class UsersConsole {
  constructor(
    private readonly users: UserAdminService,
    private readonly tenants: TenantsService,
    private readonly view: ConsoleView,
  ) {}

  @Get()
  @Header('content-type', HTML)
  async list(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @Query() query: Record<string, unknown>): Promise<string> {
    requireTenant(caller, tenantId);
    const [tenant, page] = await Promise.all([
      this.tenants.get(tenantId),
      this.users.list(tenantId, { cursor: text(query.cursor), limit: 50 }, { usernamePrefix: text(query.q) }),
    ]);
    const body = usersView({ base: req.url.split('?')[0], csrf: caller.session.csrf, scopes: tenantScopes(tenant), users: page.items, q: text(query.q) ?? '', cursor: text(query.cursor), nextCursor: page.nextCursor });
    return this.view.page(req, caller, { title: `Users of ${tenant.slug}`, tenantId, active: 'users', body });
  }

  @Post()
  @Redirect('', 303)
  async create(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @Body() form: Form): Promise<{ url: string }> {
    requireTenant(caller, tenantId);
    let url = req.url;
    await attempt(caller, async () => {
      const dto = await toDto(CreateUserDto, { username: field(form, 'username'), password: field(form, 'password'), scopes: fields(form, 'scopes') });
      const user = await this.users.create(caller.actor, tenantId, dto);
      url = `${req.url}/${user.id}`;
      return `User "${user.username}" created.`;
    });
    return { url };
  }

  @Get(':userId')
  @Header('content-type', HTML)
  async show(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @UuidParam('userId') userId: string): Promise<string> {
    requireTenant(caller, tenantId);
    const [user, sessions] = await Promise.all([this.users.get(tenantId, userId), this.users.listSessions(tenantId, userId, { limit: 200 })]);
    const body = userView({ base: req.url, csrf: caller.session.csrf, user, sessions: sessions.items });
    return this.view.page(req, caller, { title: `User ${user.username}`, tenantId, active: 'users', body });
  }

  @Post(':userId/:action')
  @Redirect('', 303)
  async act(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @UuidParam('userId') userId: string, @Body() form: Form): Promise<{ url: string }> {
    requireTenant(caller, tenantId);
    const url = req.url.replace(/\/[^/]+$/, '');
    const action = req.url.split('/').pop() ?? '';
    if (!['disable', 'enable', 'unlock', 'password'].includes(action)) throw new NotFoundError('No such action.');
    await attempt(caller, async () => {
      if (action === 'disable' || action === 'enable') {
        await this.users.update(caller.actor, tenantId, userId, await toDto(UpdateUserDto, { disabled: action === 'disable' }));
        return action === 'disable' ? 'User disabled; its sessions were revoked.' : 'User enabled.';
      }
      if (action === 'unlock') {
        await this.users.update(caller.actor, tenantId, userId, await toDto(UpdateUserDto, { unlock: true }));
        return 'User unlocked.';
      }
      await this.users.update(caller.actor, tenantId, userId, await toDto(UpdateUserDto, { password: field(form, 'password') }));
      return 'Password reset; the user’s sessions were revoked.';
    });
    return { url };
  }

  @Post(':userId/sessions/revoke')
  @Redirect('', 303)
  async revokeSessions(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @UuidParam('tenantId') tenantId: string, @UuidParam('userId') userId: string): Promise<{ url: string }> {
    requireTenant(caller, tenantId);
    const { revokedSessions } = await this.users.revokeSessions(caller.actor, tenantId, userId);
    caller.session.flash = { kind: 'success', text: `Revoked ${revokedSessions} session${revokedSessions === 1 ? '' : 's'}.` };
    return { url: req.url.replace(/\/sessions\/revoke$/, '') };
  }
}
