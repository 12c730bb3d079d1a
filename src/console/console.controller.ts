import { Body, Controller, Get, Header, Inject, Param, Post, Redirect, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { ForbiddenError, NotFoundError } from '../common/domain-errors';
import { Public } from '../common/public.decorator';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { OAuthThrottlerGuard } from '../throttling/oauth-throttler.guard';
import { loadAssets } from './console-assets';
import { ConsoleAuthService, type ConsoleCaller } from './console-auth.service';
import { backTo, field, type Form } from './console-forms';
import { cookieNames, readCookie, sameOrigin, setCookie, tokensMatch } from './console-http';
import { ConsoleView, THEME_COOKIE } from './console-view';
import { Caller, ConsoleGuard, ConsoleLoginRedirect, contextOf } from './console.guard';
import { loginForm } from './views/login.view';
import { themeOf } from './views/layout';

const HTML = 'text/html; charset=utf-8';

/** Login, logout, theme, the landing page and the static files of /console. */
@ApiExcludeController()
@Public()
@Controller('console')
@UseFilters(ConsoleLoginRedirect)
export class ConsoleController {
  private readonly assets = loadAssets();
  private readonly names;

  constructor(
    private readonly auth: ConsoleAuthService,
    private readonly view: ConsoleView,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.names = cookieNames(config.issuer);
  }

  @Get('login')
  @Header('content-type', HTML)
  loginPage(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): string {
    return this.view.page(req, undefined, { title: 'Log in', body: loginForm(this.loginCsrf(req, reply)) });
  }

  /** The same password grant as POST /token, its throttling included (per address). */
  @Post('login')
  @UseGuards(OAuthThrottlerGuard)
  async login(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() form: Form): Promise<void> {
    if (!sameOrigin(req, this.config.issuer)) throw new ForbiddenError('Cross-origin request refused.');
    const expected = readCookie(req, this.names.login);
    if (!expected || !tokensMatch(form?._csrf, expected)) throw new ForbiddenError('Missing or wrong CSRF token.');
    const outcome = await this.auth.login({ tenant: field(form, 'tenant'), username: field(form, 'username'), password: field(form, 'password') }, contextOf(req));
    if (!outcome.ok) {
      const error = outcome.reason === 'credentials' ? 'Wrong tenant, username or password, or the account is locked or disabled.' : 'This account is not an administrator.';
      const page = this.view.page(req, undefined, { title: 'Log in', body: loginForm(expected, { tenant: field(form, 'tenant'), username: field(form, 'username'), error }) });
      void reply.status(outcome.reason === 'credentials' ? 401 : 403).header('content-type', HTML).send(page);
      return;
    }
    setCookie(reply, this.names, this.names.login, '', 0);
    setCookie(reply, this.names, this.names.session, outcome.cookie);
    void reply.redirect('/console', 303);
  }

  @Post('logout')
  @UseGuards(ConsoleGuard)
  @Redirect('/console/login', 303)
  async logout(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Caller() caller: ConsoleCaller): Promise<void> {
    await this.auth.logout(caller.session, contextOf(req));
    setCookie(reply, this.names, this.names.session, '', 0);
  }

  @Post('theme')
  @UseGuards(ConsoleGuard)
  @Redirect('/console', 303)
  theme(@Res({ passthrough: true }) reply: FastifyReply, @Body() form: Form): { url: string } {
    setCookie(reply, this.names, THEME_COOKIE, themeOf(field(form, 'theme')), 365 * 86400);
    return { url: backTo(field(form, 'back'), '/console') };
  }

  @Get()
  @UseGuards(ConsoleGuard)
  @Redirect('/console', 303)
  home(@Caller() caller: ConsoleCaller): { url: string } {
    return { url: caller.actor.platform ? '/console/tenants' : `/console/tenants/${caller.principal.tenantId}/api-keys` };
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundError('No such asset.');
    reply.header('cache-control', 'no-cache').header('etag', asset.etag).header('content-type', asset.type);
    if (req.headers['if-none-match'] === asset.etag) {
      void reply.status(304).send();
      return;
    }
    void reply.send(asset.body);
  }

  /** Login CSRF: a random value in a cookie and in the form, compared on POST (double submit). */
  private loginCsrf(req: FastifyRequest, reply: FastifyReply): string {
    const existing = readCookie(req, this.names.login);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const value = randomBytes(32).toString('base64url');
    setCookie(reply, this.names, this.names.login, value, 3600);
    return value;
  }
}
