import { bearer, createTenantViaApi, createUserViaApi, login, platformToken, tenantAdminToken, type AdminTenant } from './support/admin';
import { createTestApp, TEST_ADMIN_PASSWORD, type TestApp } from './support/test-app';

describe('admin API: users and their sessions', () => {
  let sut: TestApp;
  let platform: string;

  beforeAll(async () => {
    sut = await createTestApp({ LOCKOUT_AFTER: '3/15m' });
    platform = await platformToken(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  const users = (t: AdminTenant) => `/admin/tenants/${t.id}/users`;
  const passwordLogin = (t: AdminTenant, username: string, password: string) =>
    sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: t.defaultClient.clientId, username, password });
  const refresh = (t: AdminTenant, refreshToken: string) =>
    sut.http().post('/token').type('form').send({ grant_type: 'refresh_token', client_id: t.defaultClient.clientId, refresh_token: refreshToken });

  it('creates a user who can log in, never showing the hash; usernames are unique case-insensitively', async () => {
    const t = await createTenantViaApi(sut, platform);
    const res = await sut.http().post(users(t)).set(bearer(platform)).send({ username: 'Bob', password: 'a-long-enough-secret', scopes: ['models:list'] }).expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      username: 'Bob',
      scopes: ['models:list'],
      disabled: false,
      lockedUntil: null,
      passwordChangedAt: expect.any(String),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const token = await passwordLogin(t, 'bob', 'a-long-enough-secret').expect(200);
    expect(token.body.scope).toBe('models:list');
    await sut.http().post(users(t)).set(bearer(platform)).send({ username: 'BOB', password: 'another-long-secret', scopes: [] }).expect(409);
    const [row] = await sut.dataSource.query(`SELECT action, actor, details FROM audit_events WHERE action = 'user.created' AND target = $1`, [res.body.id]);
    expect(row).toMatchObject({ action: 'user.created', details: { scopes: ['models:list'] } });
    expect(JSON.stringify(row)).not.toContain('a-long-enough-secret');
  });

  it('refuses short and common passwords and scopes the tenant does not offer, naming the field', async () => {
    const t = await createTenantViaApi(sut, platform, { scopes: ['models:list'] });
    const short = await sut.http().post(users(t)).set(bearer(platform)).send({ username: 'c', password: 'short', scopes: [] }).expect(400);
    expect(short.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(short.body.errors).toEqual([{ field: 'password', message: 'must have at least 12 characters' }]);
    const common = await sut.http().post(users(t)).set(bearer(platform)).send({ username: 'c', password: 'password1234', scopes: [] }).expect(400);
    expect(common.body.errors).toEqual([{ field: 'password', message: 'is too common' }]);
    const outside = await sut.http().post(users(t)).set(bearer(platform)).send({ username: 'c', password: 'a-long-enough-secret', scopes: ['chat:completions'] }).expect(400);
    expect(outside.body.errors).toEqual([{ field: 'scopes', message: 'not offered by the tenant: chat:completions' }]);
    const platformScope = await sut.http().post(users(t)).set(bearer(platform)).send({ username: 'c', password: 'a-long-enough-secret', scopes: ['admin:platform'] }).expect(400);
    expect(platformScope.body.errors[0].field).toBe('scopes');
  });

  it('lets only a platform admin grant admin:platform, even inside the system tenant', async () => {
    const [system] = await sut.dataSource.query(`SELECT id, (SELECT client_id FROM clients WHERE client_id = 'admin-cli') AS client FROM tenants WHERE slug = 'system'`);
    const sysAdmin = await createUserViaApi(sut, platform, system.id, ['admin:tenant']);
    const tenantAdmin = await login(sut, 'admin-cli', sysAdmin.username, sysAdmin.password);
    const res = await sut.http().post(`/admin/tenants/${system.id}/users`).set(bearer(tenantAdmin)).send({ username: 'escalate', password: 'a-long-enough-secret', scopes: ['admin:platform'] }).expect(403);
    expect(res.body).toEqual({ type: 'about:blank', title: 'Forbidden', status: 403, detail: 'Only a platform admin may change grants of admin:platform.' });
    await sut.http().patch(`/admin/tenants/${system.id}/users/${sysAdmin.id}`).set(bearer(tenantAdmin)).send({ scopes: ['admin:platform'] }).expect(403);
    // Nor may it take over a platform admin: reset its password, log it out or delete it.
    const [root] = await sut.dataSource.query(`SELECT id FROM users WHERE tenant_id = $1 AND username = 'admin'`, [system.id]);
    const platformUser = `/admin/tenants/${system.id}/users/${root.id}`;
    await sut.http().patch(platformUser).set(bearer(tenantAdmin)).send({ password: 'taken-over-password' }).expect(403);
    await sut.http().delete(`${platformUser}/sessions`).set(bearer(tenantAdmin)).expect(403);
    await sut.http().delete(platformUser).set(bearer(tenantAdmin)).expect(403);
    await login(sut, 'admin-cli', 'admin', TEST_ADMIN_PASSWORD);
  });

  it('disabling ends logins, refreshes and the access tokens of every session; enabling allows logins again', async () => {
    const t = await createTenantViaApi(sut, platform);
    const u = await createUserViaApi(sut, platform, t.id, ['models:list']);
    const session = (await passwordLogin(t, u.username, u.password).expect(200)).body;
    const off = await sut.http().patch(`${users(t)}/${u.id}`).set(bearer(platform)).send({ disabled: true }).expect(200);
    expect(off.body.disabled).toBe(true);
    const [event] = await sut.dataSource.query(`SELECT details FROM audit_events WHERE action = 'user.updated' AND target = $1`, [u.id]);
    expect(event).toEqual({ details: { changed: ['disabled'], revokedSessions: 1 } });
    await passwordLogin(t, u.username, u.password).expect(400);
    await refresh(t, session.refresh_token).expect(400);
    await sut.http().get('/me').set(bearer(session.access_token)).expect(401);
    await sut.http().patch(`${users(t)}/${u.id}`).set(bearer(platform)).send({ disabled: false }).expect(200);
    await passwordLogin(t, u.username, u.password).expect(200);
    // The sessions revoked by the disable stay revoked.
    await refresh(t, session.refresh_token).expect(400);
  });

  it('a password reset replaces the password and revokes every session', async () => {
    const t = await createTenantViaApi(sut, platform);
    const u = await createUserViaApi(sut, platform, t.id, []);
    const session = (await passwordLogin(t, u.username, u.password).expect(200)).body;
    await sut.http().patch(`${users(t)}/${u.id}`).set(bearer(platform)).send({ password: 'short' }).expect(400);
    await sut.http().patch(`${users(t)}/${u.id}`).set(bearer(platform)).send({ password: 'a-brand-new-secret' }).expect(200);
    await passwordLogin(t, u.username, u.password).expect(400);
    await passwordLogin(t, u.username, 'a-brand-new-secret').expect(200);
    await refresh(t, session.refresh_token).expect(400);
  });

  it('shows a lockout and unlocks it', async () => {
    const t = await createTenantViaApi(sut, platform);
    const u = await createUserViaApi(sut, platform, t.id, []);
    for (let i = 0; i < 3; i++) await passwordLogin(t, u.username, 'wrong-password-xx').expect(400);
    await passwordLogin(t, u.username, u.password).expect(400);
    const locked = await sut.http().get(`${users(t)}/${u.id}`).set(bearer(platform)).expect(200);
    expect(locked.body.lockedUntil).toEqual(expect.any(String));
    const unlocked = await sut.http().patch(`${users(t)}/${u.id}`).set(bearer(platform)).send({ unlock: true }).expect(200);
    expect(unlocked.body.lockedUntil).toBeNull();
    await passwordLogin(t, u.username, u.password).expect(200);
    await sut.http().patch(`${users(t)}/${u.id}`).set(bearer(platform)).send({ unlock: false }).expect(400);
  });

  it('lists live sessions and revokes them all, access tokens included', async () => {
    const t = await createTenantViaApi(sut, platform);
    const u = await createUserViaApi(sut, platform, t.id, ['models:list']);
    const first = (await passwordLogin(t, u.username, u.password).expect(200)).body;
    const second = (await passwordLogin(t, u.username, u.password).expect(200)).body;
    const page1 = await sut.http().get(`${users(t)}/${u.id}/sessions`).query({ limit: 1 }).set(bearer(platform)).expect(200);
    expect(page1.body.items).toEqual([
      { id: expect.any(String), clientId: t.defaultClient.clientId, scope: 'models:list', createdAt: expect.any(String), lastUsedAt: expect.any(String), expiresAt: expect.any(String) },
    ]);
    const page2 = await sut.http().get(`${users(t)}/${u.id}/sessions`).query({ limit: 1, cursor: page1.body.nextCursor }).set(bearer(platform)).expect(200);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    expect(page2.body.nextCursor).toBeNull();
    const revoked = await sut.http().delete(`${users(t)}/${u.id}/sessions`).set(bearer(platform)).expect(200);
    expect(revoked.body).toEqual({ revokedSessions: 2 });
    const [event] = await sut.dataSource.query(`SELECT details FROM audit_events WHERE action = 'user.sessions_revoked' AND target = $1`, [u.id]);
    expect(event).toEqual({ details: { revokedSessions: 2 } });
    for (const s of [first, second]) {
      await refresh(t, s.refresh_token).expect(400);
      await sut.http().get('/me').set(bearer(s.access_token)).expect(401);
    }
    const after = await sut.http().get(`${users(t)}/${u.id}/sessions`).set(bearer(platform)).expect(200);
    expect(after.body).toEqual({ items: [], nextCursor: null });
  });

  it('deletes a user: its sessions end and it is gone', async () => {
    const t = await createTenantViaApi(sut, platform);
    const admin = await tenantAdminToken(sut, platform, t);
    const u = await createUserViaApi(sut, admin, t.id, ['models:list']);
    const session = (await passwordLogin(t, u.username, u.password).expect(200)).body;
    await sut.http().delete(`${users(t)}/${u.id}`).set(bearer(admin)).expect(204);
    await sut.http().get(`${users(t)}/${u.id}`).set(bearer(admin)).expect(404);
    await sut.http().delete(`${users(t)}/${u.id}`).set(bearer(admin)).expect(404);
    await passwordLogin(t, u.username, u.password).expect(400);
    await refresh(t, session.refresh_token).expect(400);
    await sut.http().get('/me').set(bearer(session.access_token)).expect(401);
    const events = await sut.dataSource.query(`SELECT action, details FROM audit_events WHERE target = $1 AND action LIKE 'user.%' ORDER BY at, action`, [u.id]);
    expect(events).toEqual([
      { action: 'user.created', details: { scopes: ['models:list'] } },
      { action: 'user.deleted', details: { revokedSessions: 1 } },
    ]);
  });

  it('a deleted user’s access token stops working even when no session recorded it', async () => {
    const t = await createTenantViaApi(sut, platform);
    // A client without refresh_token: its logins leave no refresh family, so no jti is on record.
    const client = await sut.http().post(`/admin/tenants/${t.id}/clients`).set(bearer(platform)).send({ name: 'once', type: 'public', grantTypes: ['password'], scopes: ['models:list'] }).expect(201);
    const u = await createUserViaApi(sut, platform, t.id, ['models:list']);
    const access = await login(sut, client.body.clientId, u.username, u.password);
    await sut.http().get('/me').set(bearer(access)).expect(200);
    await sut.http().delete(`${users(t)}/${u.id}`).set(bearer(platform)).expect(204);
    await sut.http().get('/me').set(bearer(access)).expect(401);
  });

  it('pages through users with no repeats', async () => {
    const t = await createTenantViaApi(sut, platform);
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await createUserViaApi(sut, platform, t.id, [])).id);
    const a = await sut.http().get(users(t)).query({ limit: 2 }).set(bearer(platform)).expect(200);
    const b = await sut.http().get(users(t)).query({ limit: 2, cursor: a.body.nextCursor }).set(bearer(platform)).expect(200);
    expect([...a.body.items, ...b.body.items].map((x: { id: string }) => x.id)).toEqual(made);
    expect(b.body.nextCursor).toBeNull();
    await sut.http().get(users(t)).query({ limit: 0 }).set(bearer(platform)).expect(400);
    await sut.http().get(users(t)).query({ limit: 201 }).set(bearer(platform)).expect(400);
    await sut.http().get('/admin/tenants/00000000-0000-4000-8000-000000000000/users').set(bearer(platform)).expect(404);
  });
});
