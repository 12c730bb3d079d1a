import { ArgumentsHost, CanActivate, Catch, createParamDecorator, ExecutionContext, ExceptionFilter, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError } from '../common/domain-errors';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ConsoleAuthService, type ConsoleCaller } from './console-auth.service';
import { cookieNames, CONSOLE_PATH, readCookie, sameOrigin, tokensMatch } from './console-http';

type ConsoleRequest = FastifyRequest & { consoleCaller?: ConsoleCaller };

/** A console page asked for without a live session: the filter below sends the login form. */
export class ConsoleLoginRequired extends Error {}

/**
 * Every console route but the login form: a live session, and for a state-changing request a
 * same-origin Origin and the session's CSRF token (form field `_csrf` or header
 * `x-csrf-token`). Refusals of writes are 403 problem+json from the global filter.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  private readonly names;

  constructor(
    private readonly auth: ConsoleAuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.names = cookieNames(config.issuer);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ConsoleRequest>();
    const write = request.method !== 'GET' && request.method !== 'HEAD';
    if (write && !sameOrigin(request, this.config.issuer)) throw new ForbiddenError('Cross-origin request refused.');
    const caller = await this.auth.resolve(readCookie(request, this.names.session), contextOf(request));
    if (!caller) {
      if (write) throw new ForbiddenError('No console session: log in again.');
      throw new ConsoleLoginRequired();
    }
    if (write) {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const given = body._csrf ?? request.headers['x-csrf-token'];
      if (!tokensMatch(given, caller.session.csrf)) throw new ForbiddenError('Missing or wrong CSRF token.');
    }
    request.consoleCaller = caller;
    return true;
  }
}

@Catch(ConsoleLoginRequired)
export class ConsoleLoginRedirect implements ExceptionFilter {
  catch(_error: ConsoleLoginRequired, host: ArgumentsHost): void {
    void host.switchToHttp().getResponse<FastifyReply>().redirect(`${CONSOLE_PATH}/login`, 303);
  }
}

/** The console caller resolved by ConsoleGuard. */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): ConsoleCaller => context.switchToHttp().getRequest<ConsoleRequest>().consoleCaller!);

export function contextOf(request: FastifyRequest): { ip: string | null; userAgent: string | null } {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null };
}
