import { RevocationCache } from '../src/verify/revocation-cache';
import { bearer, platformToken } from './support/admin';
import { createTenant, type TenantFixture } from './support/fixtures';
import { createTestApp, type TestApp } from './support/test-app';

const INVALID_GRANT = { error: 'invalid_grant', error_description: 'The grant is invalid, expired or revoked.' };

/** Contract 5.1: suspension and deletion take effect at once for logins, refreshes and tokens. */
describe('admin API: tenant suspension and deletion', () => {
  let sut: TestApp;
  let platform: string;

  beforeAll(async () => {
    sut = await createTestApp();
    platform = await platformToken(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  const token = (form: Record<string, string>) => sut.http().post('/token').type('form').send(form);
  const login = (t: TenantFixture) => token({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password });
  const refresh = (t: TenantFixture, refreshToken: string) => token({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: refreshToken });
  const apiKeyGrant = (t: TenantFixture) => token({ grant_type: 'client_credentials', client_id: t.apiKey.id, client_secret: t.apiKey.key });
  const clientGrant = (t: TenantFixture) =>
    token({ grant_type: 'client_credentials', client_id: t.confidential.clientId, client_secret: t.confidential.secret });
  const patch = (t: TenantFixture, body: object) => sut.http().patch(`/admin/tenants/${t.tenantId}`).set(bearer(platform)).send(body);

  it('a suspended tenant gets invalid_grant for every grant and its access tokens stop working; reactivation restores it', async () => {
    const t = await createTenant(sut);
    const session = (await login(t).expect(200)).body;
    const machine = (await apiKeyGrant(t).expect(200)).body;
    const suspended = await patch(t, { status: 'suspended' }).expect(200);
    expect(suspended.body).toMatchObject({ status: 'suspended', suspendedAt: expect.any(String) });

    expect((await login(t).expect(400)).body).toEqual(INVALID_GRANT);
    expect((await refresh(t, session.refresh_token).expect(400)).body).toEqual(INVALID_GRANT);
    expect((await apiKeyGrant(t).expect(400)).body).toEqual(INVALID_GRANT);
    expect((await clientGrant(t).expect(400)).body).toEqual(INVALID_GRANT);
    await sut.http().get('/me').set(bearer(session.access_token)).expect(401);
    await sut.http().get('/me').set(bearer(machine.access_token)).expect(401);

    await patch(t, { status: 'active' }).expect(200);
    await login(t).expect(200);
    // Suspension refuses, it does not revoke: the session continues after reactivation.
    await refresh(t, session.refresh_token).expect(200);
    const events = await sut.dataSource.query(`SELECT action FROM audit_events WHERE tenant_id = $1 AND action LIKE 'tenant.%' ORDER BY at`, [t.tenantId]);
    expect(events.map((e: { action: string }) => e.action)).toEqual(['tenant.suspended', 'tenant.reactivated']);
  });

  it('a deleted tenant is gone at once: no login, refresh, API key or access token works', async () => {
    const t = await createTenant(sut);
    const session = (await login(t).expect(200)).body;
    await sut.http().delete(`/admin/tenants/${t.tenantId}`).set(bearer(platform)).expect(204);

    for (const attempt of [login(t), refresh(t, session.refresh_token), apiKeyGrant(t), clientGrant(t)]) {
      const res = await attempt;
      expect([400, 401]).toContain(res.status);
      expect(['invalid_grant', 'invalid_client']).toContain(res.body.error);
    }
    await sut.http().get('/me').set(bearer(session.access_token)).expect(401);
    await sut.http().get(`/admin/tenants/${t.tenantId}`).set(bearer(platform)).expect(404);
    // The refresh family's access token was revoked by jti before the rows went away.
    const [revoked] = await sut.dataSource.query(`SELECT reason FROM revoked_access_tokens WHERE tenant_id = $1`, [t.tenantId]);
    expect(revoked).toEqual({ reason: 'tenant_deleted' });
    const [deleted] = await sut.dataSource.query(`SELECT actor, details FROM audit_events WHERE action = 'tenant.deleted' AND target = $1`, [t.tenantId]);
    expect(deleted.details).toEqual({ slug: t.slug, revokedSessions: 1 });
  });

  it('client_credentials follows tenant changes made here at once, and those of another instance once the cache has polled', async () => {
    const t = await createTenant(sut);
    const lifetime = async (grant: () => ReturnType<typeof token>) => {
      const { access_token } = (await grant().expect(200)).body;
      const claims = JSON.parse(Buffer.from(access_token.split('.')[1], 'base64url').toString('utf8'));
      return claims.exp - claims.iat;
    };
    await patch(t, { settings: { accessTokenTtl: 600 } }).expect(200);
    expect(await lifetime(() => apiKeyGrant(t))).toBe(600);
    expect(await lifetime(() => clientGrant(t))).toBe(600);

    // What another instance's admin API writes reaches this one through the change log.
    await sut.dataSource.query(`UPDATE tenants SET settings = jsonb_set(settings, '{accessTokenTtl}', '1200') WHERE id = $1`, [t.tenantId]);
    await sut.app.get(RevocationCache).refresh();
    expect(await lifetime(() => apiKeyGrant(t))).toBe(1200);
    await sut.dataSource.query(`UPDATE tenants SET status = 'suspended', suspended_at = now() WHERE id = $1`, [t.tenantId]);
    await sut.app.get(RevocationCache).refresh();
    expect((await apiKeyGrant(t).expect(400)).body).toEqual(INVALID_GRANT);
    expect((await clientGrant(t).expect(400)).body).toEqual(INVALID_GRANT);
  });

  it('a tenant admin can rename its tenant and set lifetimes, but not suspend it, change its scopes or quotas', async () => {
    const t = await createTenant(sut);
    // The fixture's user becomes a tenant admin; its public client must allow the scope.
    await sut.dataSource.query(`UPDATE users SET scopes = '{admin:tenant}' WHERE id = $1`, [t.user.id]);
    await sut.dataSource.query(`UPDATE clients SET scopes = array_append(scopes, 'admin:tenant') WHERE client_id = $1`, [t.publicClientId]);
    const admin = (await login(t).expect(200)).body.access_token;
    const own = (body: object) => sut.http().patch(`/admin/tenants/${t.tenantId}`).set(bearer(admin)).send(body);
    await own({ name: 'Mine', settings: { accessTokenTtl: 600 } }).expect(200);
    for (const body of [{ status: 'suspended' }, { scopes: ['models:list'] }, { settings: { quota: { perTenantPerMinute: 1e6 } } }]) {
      const res = await own(body).expect(403);
      expect(res.body.detail).toMatch(/^Only a platform admin may change /);
    }
    await sut.http().delete(`/admin/tenants/${t.tenantId}`).set(bearer(admin)).expect(403);
  });
});
