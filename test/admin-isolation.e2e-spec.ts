import { randomBytes } from 'node:crypto';
import { bearer, createTenantViaApi, createUserViaApi, login, platformToken, tenantAdminToken, type AdminTenant } from './support/admin';
import { FakeClock } from './support/fake-clock';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * The isolation matrix of issue #5: every admin route × every kind of caller, each cell with
 * the status it must get. Tenant A is the target; tenant B's admin is the neighbour.
 */
type Who = 'platform admin' | 'tenant admin, same tenant' | 'tenant admin, other tenant' | 'plain user' | 'no token' | 'expired token';
const CALLERS: Who[] = ['no token', 'expired token', 'plain user', 'tenant admin, other tenant', 'tenant admin, same tenant', 'platform admin'];

interface Route {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  kind: 'platform' | 'tenant';
  ok: number;
  /** Makes what the request acts on (a fresh one for destructive routes) and gives path and body. */
  setup?: (who: Who) => Promise<{ path: string; body?: object }>;
  body?: () => object;
}

describe('admin API: isolation matrix', () => {
  let sut: TestApp;
  const clock = new FakeClock(new Date());
  const tokens = new Map<Who, string | null>();
  let a: AdminTenant;
  let platform: string;

  beforeAll(async () => {
    sut = await createTestApp({}, { clock });
    platform = await platformToken(sut);
    a = await createTenantViaApi(sut, platform);
    const b = await createTenantViaApi(sut, platform);
    const plain = await createUserViaApi(sut, platform, a.id, ['models:list']);
    tokens.set('platform admin', platform);
    tokens.set('tenant admin, same tenant', await tenantAdminToken(sut, platform, a));
    tokens.set('tenant admin, other tenant', await tenantAdminToken(sut, platform, b));
    tokens.set('plain user', await login(sut, a.defaultClient.clientId, plain.username, plain.password));
    tokens.set('no token', null);
    clock.advance(-7200);
    tokens.set('expired token', await platformToken(sut));
    clock.advance(7200);
  });

  afterAll(async () => {
    await sut.close();
  });

  const unique = () => randomBytes(4).toString('hex');
  const create = async (path: string, body: object): Promise<{ id: string }> => {
    const res = await sut.http().post(path).set(bearer(platform)).send(body);
    if (res.status !== 201) throw new Error(`setup ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const user = () => create(`/admin/tenants/${a.id}/users`, { username: `u-${unique()}`, password: `pw-${unique()}-${unique()}`, scopes: [] });
  const client = (type = 'public') =>
    create(`/admin/tenants/${a.id}/clients`, { name: 'c', type, grantTypes: type === 'public' ? ['password'] : ['client_credentials'], scopes: [] });
  const apiKey = () => create(`/admin/tenants/${a.id}/api-keys`, { name: 'k', scopes: [] });
  const nextKid = async () => (await sut.dataSource.query(`SELECT kid FROM signing_keys WHERE state = 'next'`))[0].kid as string;

  const T = () => `/admin/tenants/${a.id}`;
  const routes: Route[] = [
    { method: 'get', path: '/admin/tenants', kind: 'platform', ok: 200 },
    { method: 'post', path: '/admin/tenants', kind: 'platform', ok: 201, body: () => ({ slug: `m-${unique()}`, name: 'M' }) },
    { method: 'get', path: 'T', kind: 'tenant', ok: 200, setup: async () => ({ path: T() }) },
    { method: 'patch', path: 'T', kind: 'tenant', ok: 200, setup: async () => ({ path: T(), body: { name: 'Renamed' } }) },
    {
      method: 'delete',
      path: 'T',
      kind: 'platform',
      ok: 204,
      // Only the platform admin's request can succeed: it gets a tenant of its own to delete.
      setup: async (who) => ({ path: who === 'platform admin' ? `/admin/tenants/${(await createTenantViaApi(sut, platform)).id}` : T() }),
    },
    { method: 'get', path: 'T/users', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/users` }) },
    {
      method: 'post',
      path: 'T/users',
      kind: 'tenant',
      ok: 201,
      setup: async () => ({ path: `${T()}/users`, body: { username: `n-${unique()}`, password: `pw-${unique()}-${unique()}`, scopes: [] } }),
    },
    { method: 'get', path: 'T/users/:id', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/users/${(await user()).id}` }) },
    { method: 'patch', path: 'T/users/:id', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/users/${(await user()).id}`, body: { scopes: [] } }) },
    { method: 'delete', path: 'T/users/:id', kind: 'tenant', ok: 204, setup: async () => ({ path: `${T()}/users/${(await user()).id}` }) },
    { method: 'get', path: 'T/users/:id/sessions', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/users/${(await user()).id}/sessions` }) },
    { method: 'delete', path: 'T/users/:id/sessions', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/users/${(await user()).id}/sessions` }) },
    { method: 'get', path: 'T/clients', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/clients` }) },
    {
      method: 'post',
      path: 'T/clients',
      kind: 'tenant',
      ok: 201,
      setup: async () => ({ path: `${T()}/clients`, body: { name: 'n', type: 'public', grantTypes: ['password'], scopes: [] } }),
    },
    { method: 'get', path: 'T/clients/:id', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/clients/${(await client()).id}` }) },
    { method: 'patch', path: 'T/clients/:id', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/clients/${(await client()).id}`, body: { name: 'x' } }) },
    { method: 'delete', path: 'T/clients/:id', kind: 'tenant', ok: 204, setup: async () => ({ path: `${T()}/clients/${(await client()).id}` }) },
    {
      method: 'post',
      path: 'T/clients/:id/rotate-secret',
      kind: 'tenant',
      ok: 200,
      setup: async () => ({ path: `${T()}/clients/${(await client('confidential')).id}/rotate-secret` }),
    },
    { method: 'get', path: 'T/api-keys', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/api-keys` }) },
    { method: 'post', path: 'T/api-keys', kind: 'tenant', ok: 201, setup: async () => ({ path: `${T()}/api-keys`, body: { name: 'n', scopes: [] } }) },
    { method: 'get', path: 'T/api-keys/:id', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/api-keys/${(await apiKey()).id}` }) },
    { method: 'delete', path: 'T/api-keys/:id', kind: 'tenant', ok: 204, setup: async () => ({ path: `${T()}/api-keys/${(await apiKey()).id}` }) },
    { method: 'post', path: 'T/api-keys/:id/rotate', kind: 'tenant', ok: 200, setup: async () => ({ path: `${T()}/api-keys/${(await apiKey()).id}/rotate`, body: { graceSeconds: 60 } }) },
    { method: 'get', path: '/admin/audit-events?tenant_id=T', kind: 'tenant', ok: 200, setup: async () => ({ path: `/admin/audit-events?tenant_id=${a.id}` }) },
    { method: 'get', path: '/admin/keys', kind: 'platform', ok: 200 },
    { method: 'post', path: '/admin/keys/rotate', kind: 'platform', ok: 200 },
    // Revokes the pre-published key, not the current one, so the other callers' tokens stay valid.
    { method: 'post', path: '/admin/keys/:kid/revoke', kind: 'platform', ok: 200, setup: async () => ({ path: `/admin/keys/${await nextKid()}/revoke` }) },
  ];

  function expected(route: Route, who: Who): number {
    switch (who) {
      case 'platform admin':
        return route.ok;
      case 'tenant admin, same tenant':
        return route.kind === 'tenant' ? route.ok : 403;
      case 'tenant admin, other tenant':
        return route.kind === 'tenant' ? 404 : 403;
      case 'plain user':
        return 403;
      default:
        return 401;
    }
  }

  const cells = routes.flatMap((route) => CALLERS.map((who) => [`${route.method.toUpperCase()} ${route.path}`, who, expected(route, who), route] as const));

  it.each(cells)('%s as %s → %i', async (_name, who, status, route) => {
    const { path, body } = route.setup ? await route.setup(who) : { path: route.path, body: route.body?.() };
    let req = sut.http()[route.method](path);
    const token = tokens.get(who);
    if (token) req = req.set(bearer(token));
    const res = await (body ? req.send(body) : req);
    expect({ status: res.status, body: res.status === status ? undefined : res.body }).toEqual({ status, body: undefined });
    if (status >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tessera"/);
    if (status === 403 && route.kind === 'platform') expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_scope"');
  });
});
