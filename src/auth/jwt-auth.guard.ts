import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { OAuthError } from '../common/oauth-error';
import { IS_PUBLIC } from '../common/public.decorator';

/** Global: every route needs a valid bearer token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    return isPublic ? true : super.canActivate(context);
  }

  override handleRequest<T>(err: unknown, principal: T, info: unknown, context: ExecutionContext): T {
    if (err || !principal) {
      const hasToken = /^Bearer\s/i.test(context.switchToHttp().getRequest().headers?.authorization ?? '');
      // RFC 6750 §3.1: a request with no credentials gets a bare challenge, without an error code.
      throw new OAuthError('invalid_token', { detail: String((info as Error)?.message ?? err ?? 'rejected'), bareChallenge: !hasToken });
    }
    return principal;
  }
}
