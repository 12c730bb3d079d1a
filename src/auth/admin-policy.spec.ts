import { ForbiddenError, InvalidInputError } from '../common/domain-errors';
import { adminAccess, checkChangeable, checkGrantable, grantableScopes, isPlatformAdmin, requirePlatform, type Actor } from './admin-policy';
import type { Principal } from './principal';

const TENANT_A = '00000000-0000-4000-8000-00000000000a';
const TENANT_B = '00000000-0000-4000-8000-00000000000b';
const principal = (tenant: string, tenantId: string, scopes: string[]): Principal => ({ sub: 'u', tenant, tenantId, clientId: 'c', scopes, jti: 'j' });
const actor = (platform: boolean): Actor => ({ id: 'u', tenantId: TENANT_A, platform, ip: null, userAgent: null });

describe('adminAccess', () => {
  const platform = principal('system', TENANT_B, ['admin:platform']);
  const tenantAdmin = principal('acme', TENANT_A, ['admin:tenant', 'models:list']);
  const user = principal('acme', TENANT_A, ['models:list']);

  it.each([
    ['platform admin, platform route', platform, 'platform', undefined, 'allow'],
    ['platform admin, any tenant', platform, 'tenant', TENANT_A, 'allow'],
    ['tenant admin, own tenant', tenantAdmin, 'tenant', TENANT_A, 'allow'],
    ['tenant admin, route without a tenant', tenantAdmin, 'tenant', undefined, 'allow'],
    ['tenant admin, other tenant', tenantAdmin, 'tenant', TENANT_B, 'not_found'],
    ['tenant admin, platform route', tenantAdmin, 'platform', undefined, 'forbidden'],
    ['plain user, own tenant', user, 'tenant', TENANT_A, 'forbidden'],
    ['plain user, other tenant', user, 'tenant', TENANT_B, 'forbidden'],
  ] as const)('%s → %s', (_name, who, kind, tenantId, expected) => {
    expect(adminAccess(who, kind, tenantId)).toBe(expected);
  });

  it('admin:platform counts only in the system tenant', () => {
    const forged = principal('acme', TENANT_A, ['admin:platform']);
    expect(isPlatformAdmin(forged)).toBe(false);
    expect(adminAccess(forged, 'platform')).toBe('forbidden');
    expect(adminAccess(forged, 'tenant', TENANT_B)).toBe('forbidden');
  });
});

describe('requirePlatform and checkGrantable', () => {
  it('let platform admins through and stop tenant admins', () => {
    expect(() => requirePlatform(actor(true), 'x')).not.toThrow();
    expect(() => requirePlatform(actor(false), 'x')).toThrow(ForbiddenError);
    expect(() => checkGrantable(actor(false), ['admin:tenant', 'models:list'])).not.toThrow();
    expect(() => checkGrantable(actor(false), undefined)).not.toThrow();
    expect(() => checkGrantable(actor(false), ['admin:platform'])).toThrow('Only a platform admin may change grants of admin:platform.');
    expect(() => checkGrantable(actor(true), ['admin:platform'])).not.toThrow();
  });
});

describe('grantableScopes and checkChangeable', () => {
  const acme = { slug: 'acme', scopes: ['models:list', 'ocr:infer'] };
  const system = { slug: 'system', scopes: ['models:list'] };

  it('allows the tenant’s scopes and admin:tenant, without duplicates, and names what is outside', () => {
    expect(grantableScopes(actor(false), acme, ['ocr:infer', 'admin:tenant', 'ocr:infer'])).toEqual(['ocr:infer', 'admin:tenant']);
    let thrown: unknown;
    try {
      grantableScopes(actor(true), acme, ['images', 'models:list', 'admin:platform']);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect(thrown).toMatchObject({ field: 'scopes', message: 'not offered by the tenant: images admin:platform' });
  });

  it('leaves admin:platform, granted or held, to platform admins', () => {
    expect(grantableScopes(actor(true), system, ['admin:platform'])).toEqual(['admin:platform']);
    expect(() => grantableScopes(actor(false), system, ['admin:platform'])).toThrow(ForbiddenError);
    expect(() => checkChangeable(actor(false), { scopes: ['admin:platform'] })).toThrow(ForbiddenError);
    expect(() => checkChangeable(actor(false), { scopes: ['admin:tenant'] })).not.toThrow();
    expect(() => checkChangeable(actor(true), { scopes: ['admin:platform'] })).not.toThrow();
  });
});
