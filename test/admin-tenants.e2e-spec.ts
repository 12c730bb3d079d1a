import { bearer, createTenantViaApi, platformToken } from './support/admin';
import { createTestApp, type TestApp } from './support/test-app';

describe('admin API: tenants', () => {
  let sut: TestApp;
  let platform: string;

  beforeAll(async () => {
    sut = await createTestApp();
    platform = await platformToken(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('creates a tenant with its default public client, and refuses a second one with the same slug', async () => {
    const res = await sut
      .http()
      .post('/admin/tenants')
      .set(bearer(platform))
      .send({ slug: 'acme', name: 'Acme', scopes: ['models:list', 'chat:completions'], settings: { accessTokenTtl: 600 } })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      slug: 'acme',
      name: 'Acme',
      status: 'active',
      scopes: ['models:list', 'chat:completions'],
      settings: { accessTokenTtl: 600 },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      suspendedAt: null,
      defaultClient: { clientId: expect.any(String), type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['models:list', 'chat:completions', 'admin:tenant'] },
    });
    const dup = await sut.http().post('/admin/tenants').set(bearer(platform)).send({ slug: 'acme', name: 'Other' }).expect(409);
    expect(dup.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(dup.body).toEqual({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'A tenant with the slug "acme" exists.' });
  });

  it('lists tenants a page at a time, in creation order, with no row skipped or repeated', async () => {
    for (let i = 0; i < 5; i++) await createTenantViaApi(sut, platform);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await sut
        .http()
        .get('/admin/tenants')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(bearer(platform))
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((t) => t.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    const all = await sut.dataSource.query(`SELECT id FROM tenants ORDER BY created_at, id`);
    expect(seen).toEqual(all.map((r: { id: string }) => r.id));
    const bad = await sut.http().get('/admin/tenants').query({ cursor: 'bogus' }).set(bearer(platform)).expect(400);
    expect(bad.body.errors).toEqual([{ field: 'cursor', message: 'is not a cursor this service issued' }]);
  });

  it('merges settings on PATCH; null goes back to the default', async () => {
    const t = await createTenantViaApi(sut, platform, { settings: { accessTokenTtl: 600, refreshReuseGrace: 10 } });
    const res = await sut
      .http()
      .patch(`/admin/tenants/${t.id}`)
      .set(bearer(platform))
      .send({ name: 'Renamed', settings: { accessTokenTtl: null, quota: { perSubjectPerMinute: 60 } } })
      .expect(200);
    expect(res.body).toMatchObject({ name: 'Renamed', settings: { refreshReuseGrace: 10, quota: { perSubjectPerMinute: 60 } } });
    expect(res.body.settings.accessTokenTtl).toBeUndefined();
    const events = await sut.dataSource.query(`SELECT action, details FROM audit_events WHERE target = $1 ORDER BY at, action`, [t.id]);
    expect(events).toEqual([
      { action: 'tenant.created', details: { slug: t.slug } },
      { action: 'tenant.updated', details: { changed: ['name', 'settings.accessTokenTtl', 'settings.quota'] } },
    ]);
  });

  it('never suspends or deletes the system tenant', async () => {
    const [{ id }] = await sut.dataSource.query(`SELECT id FROM tenants WHERE slug = 'system'`);
    await sut.http().patch(`/admin/tenants/${id}`).set(bearer(platform)).send({ status: 'suspended' }).expect(409);
    await sut.http().delete(`/admin/tenants/${id}`).set(bearer(platform)).expect(409);
  });

  it('answers 404 for an unknown or malformed tenant id', async () => {
    await sut.http().get('/admin/tenants/00000000-0000-4000-8000-000000000000').set(bearer(platform)).expect(404);
    await sut.http().get('/admin/tenants/not-a-uuid').set(bearer(platform)).expect(404);
  });
});
