import { ForbiddenError } from '../common/domain-errors';
import type { Principal } from './principal';
import { ADMIN_PLATFORM_SCOPE, ADMIN_TENANT_SCOPE, SYSTEM_TENANT_SLUG } from './scopes';

/** `platform`: only platform admins. `tenant`: platform admins, and tenant admins inside their tenant. */
export type AdminRouteKind = 'platform' | 'tenant';

export type AdminDecision = 'allow' | 'forbidden' | 'not_found';

/** Who performs an admin request: what the policy and the audit trail need to know. */
export interface Actor {
  readonly id: string;
  readonly tenantId: string;
  readonly platform: boolean;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export function isPlatformAdmin(principal: Principal): boolean {
  return principal.tenant === SYSTEM_TENANT_SLUG && principal.scopes.includes(ADMIN_PLATFORM_SCOPE);
}

/**
 * The admin API's one authorization rule (contract 5). A platform admin may do anything. A
 * tenant admin may use tenant routes inside its own tenant; anything of another tenant is
 * 404, so tenant admins cannot even learn what exists elsewhere. Everyone else is 403.
 */
export function adminAccess(principal: Principal, kind: AdminRouteKind, tenantId?: string): AdminDecision {
  if (isPlatformAdmin(principal)) return 'allow';
  if (!principal.scopes.includes(ADMIN_TENANT_SCOPE) || kind === 'platform') return 'forbidden';
  if (tenantId !== undefined && tenantId !== principal.tenantId) return 'not_found';
  return 'allow';
}

/**
 * Changes inside a tenant that only a platform admin may make, because a tenant admin could
 * otherwise lift its own limits: suspending or reactivating a tenant, its offered scopes and
 * quotas, and granting admin:platform to anyone or anything.
 */
export function requirePlatform(actor: Actor, change: string): void {
  if (!actor.platform) throw new ForbiddenError(`Only a platform admin may change ${change}.`);
}

/** Granting admin:platform (to a user, client or API key) is itself a platform-admin act. */
export function checkGrantable(actor: Actor, scopes: readonly string[] | undefined): void {
  if (scopes?.includes(ADMIN_PLATFORM_SCOPE)) requirePlatform(actor, `grants of ${ADMIN_PLATFORM_SCOPE}`);
}
