import { ForbiddenError } from '../common/domain-errors';
import type { Principal } from './principal';
import { InvalidInputError } from '../common/domain-errors';
import { ADMIN_PLATFORM_SCOPE, ADMIN_TENANT_SCOPE, SYSTEM_TENANT_SLUG, tenantScopes } from './scopes';

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

/**
 * Contract 1: a tenant's users, clients and API keys hold only what the tenant offers (plus
 * the built-in admin scopes), and only a platform admin grants admin:platform. Returns the
 * list without duplicates.
 */
export function grantableScopes(actor: Actor, tenant: { slug: string; scopes: readonly string[] }, scopes: readonly string[]): string[] {
  const allowed = tenantScopes(tenant);
  const unique = [...new Set(scopes)];
  const outside = unique.filter((s) => !allowed.includes(s));
  if (outside.length) throw new InvalidInputError(`not offered by the tenant: ${outside.join(' ')}`, 'scopes');
  checkGrantable(actor, unique);
  return unique;
}

/**
 * A user, client or key that holds admin:platform is the platform's to change, not only to
 * create: otherwise an admin:tenant user of the system tenant could reset such a user's
 * password or rotate such a client's secret, and act as a platform admin.
 */
export function checkChangeable(actor: Actor, subject: { scopes: readonly string[] }): void {
  checkGrantable(actor, subject.scopes);
}
