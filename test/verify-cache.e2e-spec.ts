import { Client } from 'pg';
import { RevocationCache } from '../src/verify/revocation-cache';
import { bearer, platformToken } from './support/admin';
import { createTenant, type TenantFixture } from './support/fixtures';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startApp, testConfig, type TestApp } from './support/test-app';

const STALENESS_MS = 5000;

async function login(app: TestApp, t: TenantFixture): Promise<string> {
  const res = await app
    .http()
    .post('/token')
    .type('form')
    .send({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password })
    .expect(200);
  return res.body.access_token;
}

const verify = (app: TestApp, credential: Record<string, string>, method = 'GET', uri = '/v1/models') =>
  app.http().get('/verify').set({ 'x-original-method': method, 'x-original-uri': uri, ...credential });

/** Contract 2.6: /verify answers from a cache that follows Postgres within REVOCATION_CACHE_STALENESS. */
describe('GET /verify and its revocation cache', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let platform: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = testConfig(db, { THROTTLE_PER_SUBJECT: '1000/60s', JWKS_MAX_AGE: '3600' });
    a = await startApp(config);
    b = await startApp(config);
    platform = await platformToken(a);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
  });

  /** Milliseconds until instance B refuses what A changed, polling every 50 ms for twice the bound. */
  async function refusedOnB(credential: Record<string, string>, change: () => Promise<unknown>, method = 'GET', uri = '/v1/models'): Promise<number> {
    await verify(b, credential, method, uri).expect(204);
    await change();
    const started = Date.now();
    while (Date.now() - started < 2 * STALENESS_MS) {
      const res = await verify(b, credential, method, uri);
      if (res.status === 401) return Date.now() - started;
      expect(res.status).toBe(204);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('still allowed after twice the staleness bound');
  }

  it('refuses on instance B, within the staleness bound, what instance A revoked, disabled or suspended', async () => {
    const t = await createTenant(a);
    const token = await login(a, t);
    const revoked = await refusedOnB(bearer(token), () =>
      a.http().post('/revoke').type('form').send({ token, client_id: t.publicClientId }).expect(200),
    );

    const u = await createTenant(a);
    const userToken = await login(a, u);
    const disabled = await refusedOnB(bearer(userToken), () =>
      a.http().patch(`/admin/tenants/${u.tenantId}/users/${u.user.id}`).set(bearer(platform)).send({ disabled: true }).expect(200),
    );

    const k = await createTenant(a);
    const keyRevoked = await refusedOnB({ 'x-api-key': k.apiKey.key }, () =>
      a.http().delete(`/admin/tenants/${k.tenantId}/api-keys/${k.apiKey.id}`).set(bearer(platform)).expect(204),
    );

    const s = await createTenant(a);
    const suspendedToken = await login(a, s);
    await verify(b, { 'x-api-key': s.apiKey.key }, 'POST', '/ocr/run').expect(204);
    const suspended = await refusedOnB(bearer(suspendedToken), () =>
      a.http().patch(`/admin/tenants/${s.tenantId}`).set(bearer(platform)).send({ status: 'suspended' }).expect(200),
    );
    await verify(b, { 'x-api-key': s.apiKey.key }, 'POST', '/ocr/run').expect(401);

    for (const [what, ms] of Object.entries({ revoked, disabled, keyRevoked, suspended })) {
      expect({ what, withinBound: ms < STALENESS_MS }).toEqual({ what, withinBound: true });
    }
  });

  it('serves 1,000 calls with valid JWTs and API keys without a database query of their own', async () => {
    const t = await createTenant(a);
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => login(a, t)));
    // First sight of a tenant or API key is a lookup; every call after it is served from memory.
    await verify(a, bearer(tokens[0])).expect(204);
    await verify(a, { 'x-api-key': t.apiKey.key }).expect(204);

    const statements: string[] = [];
    const original = Client.prototype.query;
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
      const config = args[0] as string | { text?: string };
      statements.push(typeof config === 'string' ? config : (config?.text ?? ''));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as never);
    try {
      for (let batch = 0; batch < 20; batch++) {
        const calls = Array.from({ length: 50 }, (_, i) =>
          i % 2 ? verify(a, bearer(tokens[i % tokens.length])) : verify(a, { 'x-api-key': t.apiKey.key }, 'POST', '/ocr/extract'),
        );
        for (const res of await Promise.all(calls)) expect(res.status).toBe(204);
      }
      // The counter does see queries: a refresh of the cache shows up in it.
      await a.app.get(RevocationCache).refresh();
    } finally {
      spy.mockRestore();
    }
    // The cache's own refreshes may run meanwhile (the poll, the tenants it names, the once-a-minute
    // last_used_at write); nothing else may.
    const own = (sql: string) =>
      /FROM revoked_access_tokens WHERE \(seq > \$1|FROM tenants WHERE \$1::uuid\[\] IS NULL OR id = ANY|UPDATE api_keys SET last_used_at = \$2 WHERE id = ANY/.test(sql);
    expect(statements.filter((sql) => !own(sql))).toEqual([]);
    expect(statements.some(own)).toBe(true);
  });
});
