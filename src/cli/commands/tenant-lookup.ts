import type { INestApplicationContext } from '@nestjs/common';
import { UsageError } from '../command';

/** The tenant a command names by slug (what operators know), as id and slug. */
export async function tenantBySlug(app: INestApplicationContext, slug: string): Promise<{ id: string; slug: string }> {
  const { TenantsService } = await import('../../tenants/tenants.service');
  const tenant = await app.get(TenantsService).findBySlug(slug);
  if (!tenant) throw new UsageError(`no tenant with the slug "${slug}"; see tessera tenants list`);
  return { id: tenant.id, slug: tenant.slug };
}

/** The CLI acts in the name of the system tenant, as a platform admin would. */
export async function systemTenantId(app: INestApplicationContext): Promise<string> {
  const { SYSTEM_TENANT_SLUG } = await import('../../auth/scopes');
  return (await tenantBySlug(app, SYSTEM_TENANT_SLUG)).id;
}
