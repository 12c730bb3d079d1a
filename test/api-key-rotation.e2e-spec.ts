import { parseApiKey } from '../src/api-keys/api-key-format';
import { bearer, createTenantViaApi, createUserViaApi, login, platformToken, tenantAdminToken, type AdminTenant } from './support/admin';
import { FakeClock } from './support/fake-clock';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startApp, testConfig, type TestApp } from './support/test-app';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed.' };
const STALENESS_MS = 1000;

/**
 * Issue 11: POST /admin/tenants/{tenantId}/api-keys/{keyId}/rotate. Two instances share one
 * database and one fake clock: the grace ends by the clock, and instance B learns of the new
 * secret through its cache (REVOCATION_CACHE_STALENESS), not through A.
 */
describe('API key rotation', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let platform: string;
  let tenant: AdminTenant;
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = testConfig(db, { THROTTLE_PER_SUBJECT: '1000/60s', REVOCATION_CACHE_STALENESS: `${STALENESS_MS / 1000}s` });
    a = await startApp(config, { clock });
    b = await startApp(config, { clock });
    platform = await platformToken(a);
    tenant = await createTenantViaApi(a, platform, { scopes: ['models:list', 'ocr:infer'] });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
  });

  const keys = (tenantId = tenant.id) => `/admin/tenants/${tenantId}/api-keys`;
  const create = async (body: Record<string, unknown> = {}): Promise<{ id: string; key: string } & Record<string, unknown>> =>
    (await a.http().post(keys()).set(bearer(platform)).send({ name: 'worker', scopes: ['models:list'], ...body }).expect(201)).body;
  const rotate = (id: string, body?: Record<string, unknown>, token = platform, tenantId = tenant.id) => {
    const req = a.http().post(`${keys(tenantId)}/${id}/rotate`).set(bearer(token));
    return body === undefined ? req : req.send(body);
  };
  const token = (app: TestApp, id: string, key: string) =>
    app.http().post('/token').type('form').send({ grant_type: 'client_credentials', client_id: id, client_secret: key });
  const verify = (app: TestApp, key: string) => app.http().get('/verify').set({ 'x-original-method': 'GET', 'x-original-uri': '/v1/models', 'x-api-key': key });

  /** Statuses of the key at /token and /verify on both instances. */
  async function everywhere(id: string, key: string): Promise<number[]> {
    return Promise.all([token(a, id, key), token(b, id, key), verify(a, key), verify(b, key)].map(async (r) => (await r).status));
  }

  /** Polls until `check` holds, for at most twice the staleness bound; the milliseconds it took. */
  async function within(check: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < 2 * STALENESS_MS + 1000) {
      if (await check()) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('not within twice the staleness bound');
  }

  it('gives a new key for the same id; the old one works on every instance until the grace ends', async () => {
    const expiresAt = new Date(clock.now().getTime() + 86_400_000).toISOString();
    const old = await create({ scopes: ['models:list', 'ocr:infer'], expiresAt, allowedIps: ['127.0.0.0/8', '::1'] });
    // Both instances have the key cached before it changes.
    expect(await everywhere(old.id, old.key)).toEqual([200, 200, 204, 204]);

    const res = await rotate(old.id, { graceSeconds: 60 }).expect(200);
    const { key, ...rotated } = res.body;
    const { key: _oldKey, ...before } = old;
    // last_used_at is written off the requests' path; it may or may not have landed yet.
    expect({ ...rotated, lastUsedAt: null }).toEqual({ ...before, previousKeyExpiresAt: new Date(clock.now().getTime() + 60_000).toISOString() });
    expect(key).toMatch(/^tsk_[A-Za-z0-9_-]{65}$/);
    expect(key).not.toBe(old.key);
    expect(parseApiKey(key)).toBe(old.id);
    expect(key.slice(0, 26)).toBe(old.key.slice(0, 26));
    const got = await a.http().get(`${keys()}/${old.id}`).set(bearer(platform)).expect(200);
    expect({ ...got.body, lastUsedAt: null }).toEqual({ ...rotated, lastUsedAt: null });

    // The new key: at /token at once, at B's /verify once its cache has followed the row.
    await token(a, old.id, key).expect(200);
    await token(b, old.id, key).expect(200);
    const followed = await within(async () => (await verify(b, key)).status === 204);
    expect(followed).toBeLessThan(2 * STALENESS_MS);
    await within(async () => (await verify(a, key)).status === 204);
    // The old key, during the grace.
    expect(await everywhere(old.id, old.key)).toEqual([200, 200, 204, 204]);

    clock.advance(59);
    expect(await everywhere(old.id, old.key)).toEqual([200, 200, 204, 204]);
    clock.advance(1);
    expect(await everywhere(old.id, old.key)).toEqual([401, 401, 401, 401]);
    await token(a, old.id, old.key).expect(401, INVALID_CLIENT);
    expect(await everywhere(old.id, key)).toEqual([200, 200, 204, 204]);
  });

  it('refuses the old key with graceSeconds 0 (the default): at once on the instance that rotated, within the bound on the others', async () => {
    for (const body of [{ graceSeconds: 0 }, {}, undefined]) {
      const old = await create();
      expect(await everywhere(old.id, old.key)).toEqual([200, 200, 204, 204]);
      const res = await rotate(old.id, body).expect(200);
      expect(res.body.previousKeyExpiresAt).toBeNull();
      await token(a, old.id, old.key).expect(401, INVALID_CLIENT);
      expect((await verify(a, old.key)).status).toBe(401);
      // The new secret works on B at once: a secret its cache does not match is checked against the row.
      await token(b, old.id, res.body.key).expect(200);
      const refused = await within(async () => (await token(b, old.id, old.key)).status === 401 && (await verify(b, old.key)).status === 401);
      expect(refused).toBeLessThan(2 * STALENESS_MS);
      await within(async () => (await verify(b, res.body.key)).status === 204);
      expect(await everywhere(old.id, res.body.key)).toEqual([200, 200, 204, 204]);
    }
  });

  it('keeps only the latest previous key: rotating again ends the earlier grace', async () => {
    const first = await create();
    const second = (await rotate(first.id, { graceSeconds: 600 }).expect(200)).body;
    const third = (await rotate(first.id, { graceSeconds: 600 }).expect(200)).body;
    await within(async () => (await verify(b, third.key)).status === 204);
    expect(await everywhere(first.id, first.key)).toEqual([401, 401, 401, 401]);
    expect(await everywhere(first.id, second.key)).toEqual([200, 200, 204, 204]);
    expect(await everywhere(first.id, third.key)).toEqual([200, 200, 204, 204]);
  });

  it('refuses a grace outside 0–86400 s and a body of another shape', async () => {
    const k = await create();
    await rotate(k.id, { graceSeconds: 86_400 }).expect(200);
    for (const graceSeconds of [86_401, -1, 1.5, '60', null]) {
      const res = await rotate(k.id, { graceSeconds }).expect(400);
      expect([graceSeconds, [...new Set(res.body.errors.map((e: { field: string }) => e.field))]]).toEqual([graceSeconds, ['graceSeconds']]);
    }
    const unknown = await rotate(k.id, { grace: 5 }).expect(400);
    expect(unknown.body.errors).toEqual([{ field: 'grace', message: 'is not a known field' }]);
  });

  it('answers 409 for a revoked key and 404 for an unknown one or another tenant’s', async () => {
    const k = await create();
    await a.http().delete(`${keys()}/${k.id}`).set(bearer(platform)).expect(204);
    const res = await rotate(k.id, { graceSeconds: 60 }).expect(409);
    expect(res.body).toEqual({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'A revoked API key cannot be rotated.' });
    await token(a, k.id, k.key).expect(401, INVALID_CLIENT);
    await rotate('00000000-0000-4000-8000-000000000000').expect(404);
    const elsewhere = await createTenantViaApi(a, platform);
    await rotate((await create()).id, {}, platform, elsewhere.id).expect(404);
  });

  it('records api_key.rotated with the grace, never the key', async () => {
    const k = await create();
    const { body } = await rotate(k.id, { graceSeconds: 30 }).expect(200);
    const events: { action: string; actor: string; details: Record<string, unknown> }[] = await a.dataSource.query(
      `SELECT action, actor, details FROM audit_events WHERE target = $1 AND action LIKE 'api_key.%' ORDER BY at, action`,
      [k.id],
    );
    const actor = JSON.parse(Buffer.from(platform.split('.')[1], 'base64url').toString()).sub;
    expect(events).toEqual([
      { action: 'api_key.created', actor, details: expect.any(Object) },
      { action: 'api_key.rotated', actor, details: { graceSeconds: 30 } },
    ]);
    expect(JSON.stringify(events)).not.toContain(body.key.slice(26));
    expect(JSON.stringify(events)).not.toContain(k.key.slice(26));
  });

  it('lets a tenant admin rotate its tenant’s keys, but not one holding admin:platform', async () => {
    const own = await tenantAdminToken(a, platform, tenant);
    const k = await create();
    await rotate(k.id, {}, own).expect(200);
    const neighbour = await tenantAdminToken(a, platform, await createTenantViaApi(a, platform));
    await rotate(k.id, {}, neighbour).expect(404);

    const [{ id: systemId }] = await a.dataSource.query(`SELECT id FROM tenants WHERE slug = 'system'`);
    const user = await createUserViaApi(a, platform, systemId, ['admin:tenant']);
    const cli = (await a.http().post(`/admin/tenants/${systemId}/clients`).set(bearer(platform)).send({ name: 'ops', type: 'public', grantTypes: ['password'], scopes: ['admin:tenant'] }).expect(201)).body;
    const systemAdmin = await login(a, cli.clientId, user.username, user.password);
    const powerful = (await a.http().post(keys(systemId)).set(bearer(platform)).send({ name: 'ops', scopes: ['admin:platform'] }).expect(201)).body;
    const forbidden = await rotate(powerful.id, {}, systemAdmin, systemId).expect(403);
    expect(forbidden.body.detail).toBe('Only a platform admin may change grants of admin:platform.');
    await token(a, powerful.id, powerful.key).expect(200);
    await rotate(powerful.id, {}, platform, systemId).expect(200);
  });
});
