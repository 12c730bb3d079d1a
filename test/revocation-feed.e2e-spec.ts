import { decodeJwt, decodeProtectedHeader } from 'jose';
import { Client } from 'pg';
import { ApiKeysService } from '../src/api-keys/api-keys.service';
import { TenantsService } from '../src/tenants/tenants.service';
import { bearer, platformToken } from './support/admin';
import { createTenant, type TenantFixture } from './support/fixtures';
import { createTestApp, type TestApp } from './support/test-app';

/** Contract 2.7: GET /revocations. */
describe('GET /revocations', () => {
  let sut: TestApp;
  let platform: string;
  let t: TenantFixture;
  let feedKey: { id: string; key: string };
  let systemKey: { id: string; key: string };

  beforeAll(async () => {
    sut = await createTestApp({ THROTTLE_PER_SUBJECT: '1000/60s', THROTTLE_PER_IP: '10000/60s' });
    platform = await platformToken(sut);
    t = await createTenant(sut);
    const keys = sut.app.get(ApiKeysService);
    const made = await keys.create({ tenantId: t.tenantId, name: 'verifier', scopes: ['revocations:read'] });
    feedKey = { id: made.apiKey.id, key: made.key };
    const system = await sut.app.get(TenantsService).findBySlug('system');
    const sys = await keys.create({ tenantId: system!.id, name: 'platform verifier', scopes: ['revocations:read'] });
    systemKey = { id: sys.apiKey.id, key: sys.key };
  });

  afterAll(async () => {
    await sut.close();
  });

  const basic = (k: { id: string; key: string }) => ({ authorization: `Basic ${Buffer.from(`${k.id}:${k.key}`).toString('base64')}` });
  const feed = (credential: Record<string, string> = basic(feedKey), since?: string) =>
    sut
      .http()
      .get('/revocations')
      .query(since ? { since } : {})
      .set(credential);
  const login = async (f: TenantFixture) =>
    (
      await sut
        .http()
        .post('/token')
        .type('form')
        .send({ grant_type: 'password', client_id: f.publicClientId, username: f.user.username, password: f.user.password })
        .expect(200)
    ).body as { access_token: string; refresh_token: string };

  it('lists revoked jtis, not-before entries and revoked kids, and then only what is new', async () => {
    const first = await feed().expect(200);
    expect(first.headers['cache-control']).toBe('no-cache');
    expect(first.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(first.body).toEqual({ cursor: expect.any(String), jtis: expect.any(Array), not_before: expect.any(Array), revoked_kids: expect.any(Array) });

    const session = await login(t);
    await sut.http().post('/revoke').type('form').send({ token: session.access_token, client_id: t.publicClientId }).expect(200);
    await sut.http().delete(`/admin/tenants/${t.tenantId}/users/${t.user.id}/sessions`).set(bearer(platform)).expect(200);

    const next = await feed(basic(feedKey), first.body.cursor).expect(200);
    const { jti, exp } = decodeJwt(session.access_token);
    expect(next.body.jtis).toContainEqual({ jti, exp });
    expect(next.body.not_before).toContainEqual({ tenant_id: t.tenantId, sub: t.user.id, nbf: expect.any(Number) });

    // Nothing new since: the same document, so If-None-Match gets a 304.
    const idle = await feed(basic(feedKey), next.body.cursor).expect(200);
    expect(idle.body).toMatchObject({ cursor: next.body.cursor, jtis: [], not_before: [] });
    const again = await feed(basic(feedKey), next.body.cursor).expect(200);
    expect(again.headers.etag).toBe(idle.headers.etag);
    await feed({ ...basic(feedKey), 'if-none-match': idle.headers.etag }, next.body.cursor).expect(304);
  });

  it('shows a tenant’s caller only its own tenant; a system-tenant caller every tenant', async () => {
    const other = await createTenant(sut);
    await sut.http().patch(`/admin/tenants/${other.tenantId}`).set(bearer(platform)).send({ status: 'suspended' }).expect(200);
    const mine = (await feed().expect(200)).body;
    expect(mine.not_before.every((e: { tenant_id: string }) => e.tenant_id === t.tenantId)).toBe(true);
    const all = (await feed(basic(systemKey)).expect(200)).body;
    expect(all.not_before).toContainEqual({ tenant_id: other.tenantId, sub: null, nbf: expect.any(Number) });
  });

  it('lists a revoked signing key for everyone', async () => {
    const kid = decodeProtectedHeader((await login(t)).access_token).kid!;
    await sut.http().post(`/admin/keys/${kid}/revoke`).set(bearer(platform)).expect(200);
    platform = await platformToken(sut);
    expect((await feed().expect(200)).body.revoked_kids).toContain(kid);
  });

  it('takes the caller by Basic, in a POSTed form body, or as a Bearer token of an API key', async () => {
    await feed(bearer(feedKey.key)).expect(200);
    const machine = await sut.http().post('/token').set(basic(feedKey)).type('form').send({ grant_type: 'client_credentials' }).expect(200);
    expect(machine.body.scope).toBe('revocations:read');
    await feed(bearer(machine.body.access_token)).expect(200);
    const posted = await sut.http().post('/revocations').type('form').send({ client_id: feedKey.id, client_secret: feedKey.key }).expect(200);
    await sut.http().post('/revocations').type('form').send({ client_id: feedKey.id, client_secret: feedKey.key, since: posted.body.cursor }).expect(200);
  });

  it('refuses without a credential (401), without revocations:read (403), a public client (401) and a bad cursor (400)', async () => {
    const none = await sut.http().get('/revocations').expect(401);
    expect(none.body.error).toBe('invalid_client');
    const noScope = await feed(basic({ id: t.apiKey.id, key: t.apiKey.key })).expect(403);
    expect(noScope.body.error).toBe('insufficient_scope');
    const userToken = (await login(t)).access_token;
    const res = await feed(bearer(userToken)).expect(403);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_scope"');
    await feed(bearer('garbage')).expect(401);
    await sut.http().post('/revocations').type('form').send({ client_id: t.publicClientId }).expect(401);
    expect((await feed(basic(feedKey), 'not-a-cursor!').expect(400)).body.error).toBe('invalid_request');
  });

  it('costs an API key caller one query per unchanged poll: the feed statement', async () => {
    const first = await feed().expect(200);
    await feed(basic(feedKey), first.body.cursor).expect(200);
    const statements: string[] = [];
    const original = Client.prototype.query;
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
      const config = args[0] as string | { text?: string };
      statements.push(typeof config === 'string' ? config : (config?.text ?? ''));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as never);
    try {
      await feed(basic(feedKey), first.body.cursor).expect(200);
    } finally {
      spy.mockRestore();
    }
    // The revocation cache's own poll may run meanwhile; the request itself issues one statement.
    const own = statements.filter((sql) => !/FROM revoked_access_tokens WHERE \(seq > \$1|FROM tenants WHERE \$1::uuid\[\] IS NULL/.test(sql));
    expect(own).toHaveLength(1);
    expect(own[0]).toMatch(/pg_snapshot_xmin/);
  });

  it('answers an unchanged poll with one query that reads the xid indexes', async () => {
    // Enough rows for the planner to prefer the index over a scan of the whole table.
    await sut.dataSource.query(
      `INSERT INTO revoked_access_tokens (jti, tenant_id, expires_at) SELECT gen_random_uuid(), $1, now() + interval '1 hour' FROM generate_series(1, 5000)`,
      [t.tenantId],
    );
    await sut.dataSource.query(`ANALYZE revoked_access_tokens`);
    // A cursor past every row: what a poll that finds nothing new asks. (The live xmin is
    // cluster-wide, held back by any transaction of any database on a busy shared server.)
    const [{ xmin }] = await sut.dataSource.query(`SELECT (max(xid) + 1)::text AS xmin FROM revoked_access_tokens`);
    const plan: { 'QUERY PLAN': string }[] = await sut.dataSource.query(
      `EXPLAIN SELECT jti FROM revoked_access_tokens WHERE xid >= $1 AND expires_at > now() AND tenant_id = $2`,
      [xmin, t.tenantId],
    );
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index (Only )?Scan using revoked_access_tokens_xid_idx|Bitmap Index Scan on revoked_access_tokens_xid_idx/);
  });
});
