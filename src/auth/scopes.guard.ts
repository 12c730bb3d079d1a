import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { OAuthError } from '../common/oauth-error';
import type { Principal } from './principal';
import { REQUIRED_SCOPES } from './require-scopes.decorator';

/** Global, after JwtAuthGuard: enforces @RequireScopes. */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, [context.getHandler(), context.getClass()]);
    if (!required?.length) return true;
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (principal && required.every((s) => principal.scopes.includes(s))) return true;
    throw new OAuthError('insufficient_scope', { detail: `needs ${required.join(' ')}` });
  }
}
