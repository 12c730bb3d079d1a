import { bearer, createTenantViaApi, platformToken, tenantAdminToken, type AdminTenant } from './support/admin';
import { FakeClock } from './support/fake-clock';
import { createTestApp, type TestApp } from './support/test-app';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed.' };
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('admin API: API keys', () => {
  let sut: TestApp;
  let platform: string;
  let tenant: AdminTenant;
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    sut = await createTestApp({}, { clock });
    platform = await platformToken(sut);
    tenant = await createTenantViaApi(sut, platform, { scopes: ['models:list', 'ocr:infer'] });
  });

  afterAll(async () => {
    await sut.close();
  });

  const keys = (tenantId = tenant.id) => `/admin/tenants/${tenantId}/api-keys`;
  const create = (body: Record<string, unknown>, token = platform, tenantId = tenant.id) =>
    sut.http().post(keys(tenantId)).set(bearer(token)).send(body);
  const asClient = (id: string, key: string) =>
    sut.http().post('/token').type('form').send({ grant_type: 'client_credentials', client_id: id, client_secret: key });
  const subOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')).sub;
  const audit = (target: string): Promise<{ action: string; actor: string; details: Record<string, unknown> }[]> =>
    sut.dataSource.query(`SELECT action, actor, details FROM audit_events WHERE target = $1 AND action LIKE 'api_key.%' ORDER BY at, action`, [target]);

  it('creates a key shown once that works as client credentials, then revokes it at once', async () => {
    const res = await create({ name: 'ocr-worker', scopes: ['ocr:infer'] }).expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'ocr-worker',
      keyPrefix: res.body.key.slice(0, 10),
      scopes: ['ocr:infer'],
      key: expect.stringMatching(/^tsk_[A-Za-z0-9_-]{65}$/),
      expiresAt: null,
      allowedIps: null,
      previousKeyExpiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      createdBy: subOf(platform),
      createdAt: expect.any(String),
    });
    const { key, ...apiKey } = res.body;
    const token = await asClient(apiKey.id, key).expect(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', scope: 'ocr:infer' });

    const got = await sut.http().get(`${keys()}/${apiKey.id}`).set(bearer(platform)).expect(200);
    // last_used_at is written off the request's path; it may or may not have landed yet.
    expect({ ...got.body, lastUsedAt: null }).toEqual(apiKey);
    const list = await sut.http().get(keys()).set(bearer(platform)).expect(200);
    expect(JSON.stringify([got.body, list.body])).not.toContain(key.slice(10));

    await sut.http().delete(`${keys()}/${apiKey.id}`).set(bearer(platform)).expect(204);
    await asClient(apiKey.id, key).expect(401, INVALID_CLIENT);
    const revoked = await sut.http().get(`${keys()}/${apiKey.id}`).set(bearer(platform)).expect(200);
    expect(revoked.body.revokedAt).toBe(clock.now().toISOString());
    await sut.http().delete(`${keys()}/${apiKey.id}`).set(bearer(platform)).expect(204);

    const events = await audit(apiKey.id);
    expect(events).toEqual([
      { action: 'api_key.created', actor: subOf(platform), details: { name: 'ocr-worker', scopes: ['ocr:infer'], expiresAt: null, allowedIps: null } },
      { action: 'api_key.revoked', actor: subOf(platform), details: { name: 'ocr-worker' } },
    ]);
    expect(JSON.stringify(events)).not.toContain(key.slice(10));
  });

  it('lists keys a page at a time in creation order, revoked ones included', async () => {
    const t = await createTenantViaApi(sut, platform);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ name: `k${i}`, scopes: ['models:list'] }, platform, t.id).expect(201)).body.id);
    await sut.http().delete(`${keys(t.id)}/${ids[1]}`).set(bearer(platform)).expect(204);
    const seen: { id: string; revokedAt: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string; revokedAt: string | null }[]; nextCursor: string | null } } = await sut
        .http()
        .get(keys(t.id))
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(bearer(platform))
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      expect(res.body.items.every((k) => !('key' in k) && !('secretHash' in k))).toBe(true);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    const all = await sut.dataSource.query(`SELECT id FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`, [t.id]);
    expect(seen.map((k) => k.id)).toEqual(all.map((r: { id: string }) => r.id));
    expect(seen.map((k) => k.id).sort()).toEqual([...ids].sort());
    expect(seen.filter((k) => k.revokedAt).map((k) => k.id)).toEqual([ids[1]]);
  });

  it('takes an expiry in the future; the key stops working then', async () => {
    const expiresAt = new Date(clock.now().getTime() + 3600_000).toISOString();
    const { body } = await create({ name: 'short', scopes: ['models:list'], expiresAt }).expect(201);
    expect(body.expiresAt).toBe(expiresAt);
    await asClient(body.id, body.key).expect(200);
    clock.advance(3601);
    await asClient(body.id, body.key).expect(401, INVALID_CLIENT);
    platform = await platformToken(sut); // the old admin token expired with the clock
    const past = await create({ name: 'late', scopes: [], expiresAt: new Date(clock.now().getTime() - 1000).toISOString() }).expect(400);
    expect(past.body.errors).toEqual([{ field: 'expiresAt', message: 'must be in the future' }]);
    for (const bad of ['tomorrow', '2099-01-01', '2099-13-01T00:00:00Z', '2099-01-01T00:00:00', 1893456000]) {
      const res = await create({ name: 'bad', scopes: [], expiresAt: bad }).expect(400);
      expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))]).toEqual(['expiresAt']);
    }
  });

  it('refuses invalid bodies with problem+json naming each field', async () => {
    const fieldsOf = (res: { body: { errors: { field: string }[] } }) => [...new Set(res.body.errors.map((e) => e.field))].sort();
    const missing = await create({}).expect(400);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ type: 'https://tessera.dev/problems/validation', title: 'Bad Request', status: 400 });
    expect(fieldsOf(missing)).toEqual(['name', 'scopes']);
    expect(fieldsOf(await create({ name: ['x'], scopes: [1] }).expect(400))).toEqual(['name', 'scopes']);
    expect(fieldsOf(await create({ name: 'x'.repeat(201), scopes: ['a b', 'y'.repeat(201)] }).expect(400))).toEqual(['name', 'scopes']);
    const unknown = await create({ name: 'k', scopes: [], key: 'tsk_mine' }).expect(400);
    expect(unknown.body.errors).toEqual([{ field: 'key', message: 'is not a known field' }]);
    const outside = await create({ name: 'k', scopes: ['images'] }).expect(400);
    expect(outside.body.errors).toEqual([{ field: 'scopes', message: 'not offered by the tenant: images' }]);
    expect(await sut.dataSource.query(`SELECT 1 FROM api_keys WHERE tenant_id = $1 AND name = 'k'`, [tenant.id])).toEqual([]);
  });

  it('lets a tenant admin manage its own keys and answers 404 for another tenant’s', async () => {
    const own = await tenantAdminToken(sut, platform, tenant);
    const elsewhere = await createTenantViaApi(sut, platform);
    const other = await tenantAdminToken(sut, platform, elsewhere);
    const { body: k } = await create({ name: 'mine', scopes: ['models:list'] }, own).expect(201);
    expect(k.createdBy).toBe(subOf(own));
    await sut.http().get(keys()).set(bearer(own)).expect(200);
    await sut.http().get(`${keys()}/${k.id}`).set(bearer(own)).expect(200);

    await sut.http().get(keys()).set(bearer(other)).expect(404);
    await create({ name: 'theirs', scopes: [] }, other).expect(404);
    await sut.http().get(`${keys()}/${k.id}`).set(bearer(other)).expect(404);
    await sut.http().delete(`${keys()}/${k.id}`).set(bearer(other)).expect(404);
    // Looked up by (tenant, id): the key named under another tenant's path is 404, even for the platform.
    await sut.http().get(`${keys(elsewhere.id)}/${k.id}`).set(bearer(other)).expect(404);
    await sut.http().delete(`${keys(elsewhere.id)}/${k.id}`).set(bearer(platform)).expect(404);
    await asClient(k.id, k.key).expect(200);

    await sut.http().delete(`${keys()}/${k.id}`).set(bearer(own)).expect(204);
    await asClient(k.id, k.key).expect(401, INVALID_CLIENT);
    await sut.http().get(`${keys()}/${UNKNOWN_ID}`).set(bearer(own)).expect(404);
    await sut.http().delete(`${keys()}/${UNKNOWN_ID}`).set(bearer(own)).expect(404);
    await sut.http().get(`${keys()}/not-a-uuid`).set(bearer(own)).expect(404);
    await sut.http().get(keys(UNKNOWN_ID)).set(bearer(platform)).expect(404);
  });
});
