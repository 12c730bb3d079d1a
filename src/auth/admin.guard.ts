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
  query?: Record<string, unknown>;
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Applies adminAccess() to every @AdminRoute, after the global bearer guard. The tenant a
 * route acts on is its `:tenantId` path parameter, or on a list route its `tenant_id` filter.
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
    const decision = adminAccess(principal, kind, namedTenant(request));
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

/** UUIDs are case-insensitive: the tenant as the policy compares it, or undefined if none is named. */
function namedTenant(request: AdminRequest): string | undefined {
  const named = request.params?.tenantId ?? request.query?.tenant_id;
  if (named === undefined) return undefined;
  return typeof named === 'string' ? named.toLowerCase() : String(named);
}
