import { adminAccess } from '../auth/admin-policy';
import { ForbiddenError, NotFoundError } from '../common/domain-errors';
import type { ConsoleCaller } from './console-auth.service';

/** The admin API's rule (AdminGuard) for a console page of `tenantId`: another tenant is 404. */
export function requireTenant(caller: ConsoleCaller, tenantId: string): void {
  const decision = adminAccess(caller.principal, 'tenant', tenantId.toLowerCase());
  if (decision === 'not_found') throw new NotFoundError('No such resource.');
  if (decision === 'forbidden') throw new ForbiddenError('Not an admin of this tenant.');
}

/** Signing keys and tenants: platform admins only (403 for tenant admins, as at /admin). */
export function requirePlatform(caller: ConsoleCaller): void {
  if (adminAccess(caller.principal, 'platform') !== 'allow') throw new ForbiddenError('Only platform admins may use this screen.');
}
