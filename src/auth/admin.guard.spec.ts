import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { NotFoundError } from '../common/domain-errors';
import { OAuthError } from '../common/oauth-error';
import { AdminGuard, type AdminRequest } from './admin.guard';
import type { Principal } from './principal';

describe(AdminGuard.name, () => {
  const tenant = '6f1c2a9e-7b4d-4c3e-9a8b-1d2e3f4a5b6c';
  const other = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  const admin: Principal = { sub: 'u', tenant: 'acme', tenantId: tenant, clientId: 'c', scopes: ['admin:tenant'], jti: 'j' };
  const reflector = { getAllAndOverride: () => 'tenant' } as unknown as Reflector;
  const sut = new AdminGuard(reflector);
  const run = (request: Partial<AdminRequest>) => {
    const req = { headers: {}, user: admin, ...request } as AdminRequest;
    const context = { getHandler: () => null, getClass: () => null, switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
    return { allowed: sut.canActivate(context), req };
  };

  it('takes the tenant from the path, or from a list route’s tenant_id filter, however the id is spelled', () => {
    expect(run({ params: { tenantId: tenant.toUpperCase() } }).allowed).toBe(true);
    expect(run({ query: { tenant_id: tenant } }).allowed).toBe(true);
    const { req } = run({});
    expect(req.actor).toEqual({ id: 'u', tenantId: tenant, platform: false, ip: null, userAgent: null });
  });

  it('answers 404 when a tenant admin names another tenant, in the path or in the filter', () => {
    expect(() => run({ params: { tenantId: other } })).toThrow(NotFoundError);
    expect(() => run({ query: { tenant_id: other } })).toThrow(NotFoundError);
  });

  it('refuses a request that reached it without a verified token', () => {
    expect(() => run({ user: undefined })).toThrow(OAuthError);
  });
});
