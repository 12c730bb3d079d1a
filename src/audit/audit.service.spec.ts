import { visibleTenant } from './audit.service';

describe(visibleTenant.name, () => {
  const tenant = '6f1c2a9e-7b4d-4c3e-9a8b-1d2e3f4a5b6c';
  const other = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

  it('lets a platform admin read every tenant, or the one it names', () => {
    const platform = { tenantId: 'system-id', platform: true };
    expect(visibleTenant(platform, undefined)).toBeUndefined();
    expect(visibleTenant(platform, other)).toBe(other);
  });

  it('confines a tenant admin to its own tenant, however the id is spelled', () => {
    const admin = { tenantId: tenant, platform: false };
    expect(visibleTenant(admin, undefined)).toBe(tenant);
    expect(visibleTenant(admin, tenant.toUpperCase())).toBe(tenant);
  });

});
