import { Controller, Get, Header, Inject, Param, Post, Redirect, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../common/domain-errors';
import { Public } from '../common/public.decorator';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { CLOCK_SKEW, KeysService, MAX_ACCESS_TOKEN_TTL } from '../keys/keys.service';
import type { KeySummary } from '../keys/dto/key-summary.response';
import { requirePlatform } from './console-access';
import type { ConsoleCaller } from './console-auth.service';
import { ConsoleView } from './console-view';
import { Caller, ConsoleGuard, ConsoleLoginRedirect } from './console.guard';
import { keysView, revokeConfirm, rotateConfirm } from './views/keys.view';

const HTML = 'text/html; charset=utf-8';
const KID = /^[A-Za-z0-9_-]{1,100}$/;

/** Screen 4 (platform admins): the signing keys, through KeysService like /admin/keys. */
@ApiExcludeController()
@Public()
@Controller('console/keys')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleLoginRedirect)
export class KeysConsole {
  constructor(
    private readonly keys: KeysService,
    private readonly view: ConsoleView,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Header('content-type', HTML)
  async list(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller): Promise<string> {
    requirePlatform(caller);
    const { items } = await this.keys.list();
    const current = items.find((k) => k.state === 'current');
    const since = current?.activatedAt ?? current?.createdAt;
    const scheduledRotation = since ? new Date(new Date(since).getTime() + this.config.keyRotationInterval * 1000) : null;
    return this.view.page(req, caller, { title: 'Signing keys', active: 'keys', body: keysView({ csrf: caller.session.csrf, keys: items, times: { scheduledRotation } }) });
  }

  @Get('rotate')
  @Header('content-type', HTML)
  async confirmRotate(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller): Promise<string> {
    requirePlatform(caller);
    const { items } = await this.keys.list();
    const retiredUntil = new Date(Date.now() + (MAX_ACCESS_TOKEN_TTL + CLOCK_SKEW) * 1000);
    const body = rotateConfirm({ csrf: caller.session.csrf, next: items.find((k) => k.state === 'next'), current: items.find((k) => k.state === 'current'), retiredUntil });
    return this.view.page(req, caller, { title: 'Rotate the signing key?', active: 'keys', body });
  }

  @Post('rotate')
  @Redirect('/console/keys', 303)
  async rotate(@Caller() caller: ConsoleCaller): Promise<void> {
    requirePlatform(caller);
    const now = await this.keys.rotateNow(caller.actor);
    caller.session.flash = { kind: 'success', text: `Rotated: ${now.kid} signs from now on.` };
  }

  @Get(':kid/revoke')
  @Header('content-type', HTML)
  async confirmRevoke(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @Param('kid') kid: string): Promise<string> {
    requirePlatform(caller);
    const key = await this.find(kid);
    return this.view.page(req, caller, { title: 'Revoke this signing key?', active: 'keys', body: revokeConfirm({ csrf: caller.session.csrf, key }) });
  }

  @Post(':kid/revoke')
  @Redirect('/console/keys', 303)
  async revoke(@Caller() caller: ConsoleCaller, @Param('kid') kid: string): Promise<void> {
    requirePlatform(caller);
    await this.find(kid);
    await this.keys.revoke(kid, caller.actor);
    caller.session.flash = { kind: 'success', text: `Revoked ${kid}.` };
  }

  private async find(kid: string): Promise<KeySummary> {
    const key = KID.test(kid) ? (await this.keys.list()).items.find((k) => k.kid === kid) : undefined;
    if (!key) throw new NotFoundError('No such signing key.');
    return key;
  }
}
