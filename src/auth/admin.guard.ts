import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { NotFoundError } from '../common/domain-errors';
import { OAuthError } from '../common/oauth-error';
import { adminAccess, isPlatformAdmin, type Actor, type AdminRouteKind } from './admin-policy';
import type { Principal } from './principal';

export const ADMIN_ROUTE = 'tessera:adminRoute';

export interface AdminRequest {
  user?: Principal;
  actor?: Actor;
  params?: Record<string, string | undefined>;
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Applies adminAccess() to every @AdminRoute, after the global bearer guard. The tenant a
 * route acts on is its `:tenantId` path parameter.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const kind = this.reflector.getAllAndOverride<AdminRouteKind | undefined>(ADMIN_ROUTE, [context.getHandler(), context.getClass()]);
    if (!kind) return true;
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const principal = request.user;
    if (!principal) throw new OAuthError('invalid_token', { bareChallenge: true });
    const decision = adminAccess(principal, kind, request.params?.tenantId);
    if (decision === 'not_found') throw new NotFoundError('No such resource.');
    if (decision === 'forbidden') throw new OAuthError('insufficient_scope', { detail: `admin route (${kind})` });
    const agent = request.headers['user-agent'];
    request.actor = {
      id: principal.sub,
      tenantId: principal.tenantId,
      platform: isPlatformAdmin(principal),
      ip: request.ip ?? null,
      userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null,
    };
    return true;
  }
}
