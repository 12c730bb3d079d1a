import { randomBytes } from 'node:crypto';
import { bearer, createTenantViaApi, platformToken, type AdminTenant } from './support/admin';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * Issue #5: every create body with a missing, wrong-typed, oversized or unknown field gives
 * 400 application/problem+json naming the field; nothing reaches the database.
 */
describe('admin API: request validation', () => {
  let sut: TestApp;
  let platform: string;
  let t: AdminTenant;

  beforeAll(async () => {
    sut = await createTestApp();
    platform = await platformToken(sut);
    t = await createTenantViaApi(sut, platform);
  });

  afterAll(async () => {
    await sut.close();
  });

  const long = 'x'.repeat(5000);
  const many = Array.from({ length: 101 }, (_, i) => `s${i}`);
  const bodies: { route: string; path: () => string; valid: () => Record<string, unknown>; required: string[]; oversized: Record<string, unknown> }[] = [
    {
      route: 'POST /admin/tenants',
      path: () => '/admin/tenants',
      valid: () => ({ slug: `v-${randomBytes(4).toString('hex')}`, name: 'V', scopes: ['models:list'], settings: { accessTokenTtl: 600 } }),
      required: ['slug', 'name'],
      oversized: { slug: long, name: long, scopes: many },
    },
    {
      route: 'POST /admin/tenants/{id}/users',
      path: () => `/admin/tenants/${t.id}/users`,
      valid: () => ({ username: `v-${randomBytes(4).toString('hex')}`, password: 'a-long-enough-secret', scopes: ['models:list'] }),
      required: ['username', 'password', 'scopes'],
      oversized: { username: long, password: long, scopes: many },
    },
    {
      route: 'POST /admin/tenants/{id}/clients',
      path: () => `/admin/tenants/${t.id}/clients`,
      valid: () => ({ name: 'V', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['models:list'] }),
      required: ['name', 'type', 'grantTypes', 'scopes'],
      oversized: { name: long, scopes: many },
    },
    {
      route: 'POST /admin/tenants/{id}/api-keys',
      path: () => `/admin/tenants/${t.id}/api-keys`,
      valid: () => ({ name: 'V', scopes: ['models:list'] }),
      required: ['name', 'scopes'],
      oversized: { name: long, scopes: many },
    },
  ];

  const post = (path: string, body: unknown) => sut.http().post(path).set(bearer(platform)).send(body as object);
  const expectFieldError = async (path: string, body: unknown, field: string) => {
    const res = await post(path, body);
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status: 400, type: expect.stringMatching(/^application\/problem\+json/) });
    expect(res.body).toMatchObject({ type: 'https://tessera.dev/problems/validation', title: 'Bad Request', status: 400 });
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  };

  describe.each(bodies)('$route', ({ path, valid, required, oversized }) => {
    it('accepts the valid body', async () => {
      expect((await post(path(), valid())).status).toBe(201);
    });

    it.each(required)('names a missing %s', async (field) => {
      const body = valid();
      delete body[field];
      await expectFieldError(path(), body, field);
    });

    it.each(Object.keys(valid()))('names a wrong-typed %s', async (field) => {
      await expectFieldError(path(), { ...valid(), [field]: typeof valid()[field] === 'number' ? 'ten' : 42 }, field);
    });

    it.each(Object.keys(oversized))('names an oversized %s', async (field) => {
      await expectFieldError(path(), { ...valid(), [field]: oversized[field] }, field);
    });

    it('names an unknown field instead of ignoring it', async () => {
      await expectFieldError(path(), { ...valid(), isAdmin: true }, 'isAdmin');
    });
  });

  it('checks nested settings, and rejects bodies that are not objects', async () => {
    await expectFieldError('/admin/tenants', { slug: 'nested-x', name: 'N', settings: { accessTokenTtl: 10 } }, 'settings.accessTokenTtl');
    await expectFieldError('/admin/tenants', { slug: 'nested-y', name: 'N', settings: { bogus: 1 } }, 'settings.bogus');
    for (const body of [[], 'text', 42]) {
      const res = await sut.http().post('/admin/tenants').set(bearer(platform)).set('content-type', 'application/json').send(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const broken = await sut.http().post('/admin/tenants').set(bearer(platform)).set('content-type', 'application/json').send('{"slug":');
    expect(broken.status).toBe(400);
    const tenants = await sut.dataSource.query(`SELECT slug FROM tenants WHERE slug LIKE 'nested-%'`);
    expect(tenants).toEqual([]);
  });

  it('refuses null for a field that cannot be unset, on PATCH', async () => {
    const user = (await post(`/admin/tenants/${t.id}/users`, { username: 'nully', password: 'a-long-enough-secret', scopes: [] })).body;
    const patch = (path: string, body: object) => sut.http().patch(path).set(bearer(platform)).send(body);
    for (const [path, field] of [
      [`/admin/tenants/${t.id}`, 'name'],
      [`/admin/tenants/${t.id}`, 'status'],
      [`/admin/tenants/${t.id}`, 'scopes'],
      [`/admin/tenants/${t.id}`, 'settings'],
      [`/admin/tenants/${t.id}/users/${user.id}`, 'password'],
      [`/admin/tenants/${t.id}/users/${user.id}`, 'scopes'],
      [`/admin/tenants/${t.id}/users/${user.id}`, 'disabled'],
    ]) {
      const res = await patch(path, { [field]: null });
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('rejects unknown query parameters and bad page sizes on lists', async () => {
    await sut.http().get('/admin/tenants').query({ limit: 'ten' }).set(bearer(platform)).expect(400);
    const res = await sut.http().get('/admin/tenants').query({ sort: 'name' }).set(bearer(platform)).expect(400);
    expect(res.body.errors).toEqual([{ field: 'sort', message: 'is not a known field' }]);
  });
});
