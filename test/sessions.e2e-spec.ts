import { randomUUID } from 'node:crypto';
import { RefreshTokensService } from '../src/sessions/refresh-tokens.service';
import { createTenant, type TenantFixture } from './support/fixtures';
import { FakeClock } from './support/fake-clock';
import { createTestApp, type TestApp } from './support/test-app';

const INVALID_GRANT = { error: 'invalid_grant', error_description: 'The grant is invalid, expired or revoked.' };

describe('sessions: /me, password change, reuse grace, audit', () => {
  let sut: TestApp;
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    sut = await createTestApp({}, { clock });
  });

  afterAll(async () => {
    await sut.close();
  });

  const token = (form: Record<string, string>) => sut.http().post('/token').type('form').send(form);
  const login = (t: TenantFixture, password = t.user.password) =>
    token({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password });
  const refresh = (t: TenantFixture, refreshToken: string) =>
    token({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: refreshToken });

  it('GET /me tells who the token speaks for; without a token it is a bare Bearer challenge', async () => {
    const t = await createTenant(sut);
    const { access_token } = (await login(t).expect(200)).body;
    const me = await sut.http().get('/me').auth(access_token, { type: 'bearer' }).expect(200);
    expect(me.body).toEqual({
      sub: t.user.id,
      username: 'Alice',
      tenantId: t.tenantId,
      tenant: t.slug,
      clientId: t.publicClientId,
      scopes: ['models:list', 'chat:completions'],
    });
    const anonymous = await sut.http().get('/me').expect(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    const forged = await sut.http().get('/me').auth(`${access_token.slice(0, -4)}AAAA`, { type: 'bearer' }).expect(401);
    expect(forged.headers['www-authenticate']).toBe('Bearer realm="tessera", error="invalid_token"');
  });

  it('POST /me/password needs the current password and revokes every other session', async () => {
    const t = await createTenant(sut);
    const mine = (await login(t).expect(200)).body;
    const other = (await login(t).expect(200)).body;
    const wrong = await sut.http().post('/me/password').auth(mine.access_token, { type: 'bearer' }).send({ currentPassword: 'nope', newPassword: 'a-new-long-password' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([{ field: 'currentPassword', message: 'is wrong' }]);
    const missing = await sut.http().post('/me/password').auth(mine.access_token, { type: 'bearer' }).send({ newPassword: 'a-new-long-password', extra: 1 });
    expect(missing.status).toBe(400);
    expect([...new Set(missing.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual(['currentPassword', 'extra']);
    const short = await sut.http().post('/me/password').auth(mine.access_token, { type: 'bearer' }).send({ currentPassword: t.user.password, newPassword: 'short' });
    expect(short.status).toBe(400);
    const common = await sut.http().post('/me/password').auth(mine.access_token, { type: 'bearer' }).send({ currentPassword: t.user.password, newPassword: 'password1234' });
    expect(common.status).toBe(400);
    expect(common.body.errors).toEqual([{ field: 'newPassword', message: 'is too common' }]);
    const ok = await sut
      .http()
      .post('/me/password')
      .auth(mine.access_token, { type: 'bearer' })
      .send({ currentPassword: t.user.password, newPassword: 'a-new-long-password' })
      .expect(200);
    expect(ok.body).toEqual({ revokedSessions: 1 });
    expect((await refresh(t, other.refresh_token).expect(400)).body).toEqual(INVALID_GRANT);
    await sut.http().get('/me').auth(other.access_token, { type: 'bearer' }).expect(401);
    await refresh(t, mine.refresh_token).expect(200);
    await login(t).expect(400);
    await login(t, 'a-new-long-password').expect(200);
  });

  it('with refreshReuseGrace, a retry shortly after gets a fresh pair and the first pair dies', async () => {
    const t = await createTenant(sut, { settings: { refreshReuseGrace: 30 } });
    const first = (await login(t).expect(200)).body;
    const lost = (await refresh(t, first.refresh_token).expect(200)).body;
    clock.advance(10);
    const retried = (await refresh(t, first.refresh_token).expect(200)).body;
    expect(retried.refresh_token).not.toBe(lost.refresh_token);
    await sut.http().get('/me').auth(lost.access_token, { type: 'bearer' }).expect(401);
    // The surviving chain goes on...
    const after = (await refresh(t, retried.refresh_token).expect(200)).body;
    // ...and the pair whose response was lost is dead: whoever presents it got it some other
    // way, so it counts as reuse and ends the whole family.
    expect((await refresh(t, lost.refresh_token).expect(400)).body).toEqual(INVALID_GRANT);
    expect((await refresh(t, after.refresh_token).expect(400)).body).toEqual(INVALID_GRANT);
  });

  it('with refreshReuseGrace, a replay after the window, or after the chain moved on, is reuse', async () => {
    const t = await createTenant(sut, { settings: { refreshReuseGrace: 30 } });
    const first = (await login(t).expect(200)).body;
    const second = (await refresh(t, first.refresh_token).expect(200)).body;
    clock.advance(31);
    expect((await refresh(t, first.refresh_token).expect(400)).body).toEqual(INVALID_GRANT);
    expect((await refresh(t, second.refresh_token).expect(400)).body).toEqual(INVALID_GRANT);

    const a = (await login(t).expect(200)).body;
    const b = (await refresh(t, a.refresh_token).expect(200)).body;
    await refresh(t, b.refresh_token).expect(200);
    expect((await refresh(t, a.refresh_token).expect(400)).body).toEqual(INVALID_GRANT);
  });

  it('audits logins, failures, token issue and reuse, with no secret in the details', async () => {
    const t = await createTenant(sut);
    const ok = (await login(t).expect(200)).body;
    await login(t, 'wrong-password').expect(400);
    const next = (await refresh(t, ok.refresh_token).expect(200)).body;
    await refresh(t, ok.refresh_token).expect(400);
    await token({ grant_type: 'client_credentials', client_id: t.apiKey.id, client_secret: t.apiKey.key }).expect(200);
    const events: { action: string; outcome: string; details: unknown }[] = await sut.dataSource.query(
      `SELECT action, outcome, details FROM audit_events WHERE tenant_id = $1 ORDER BY at, action`,
      [t.tenantId],
    );
    expect(events.map((e) => `${e.action}:${e.outcome}`).sort()).toEqual(
      ['login.failed:failure', 'login.succeeded:success', 'refresh_token.reuse_detected:failure', 'token.issued:success', 'token.refreshed:success'].sort(),
    );
    const all = JSON.stringify(events);
    for (const secret of [t.user.password, ok.refresh_token, next.refresh_token, ok.access_token, t.apiKey.key, 'wrong-password']) {
      expect(all).not.toContain(secret);
    }
  });

  it('fails only the login whose write fails: the others that shared its statement are committed', async () => {
    const t = await createTenant(sut);
    const [{ id: clientPk }]: { id: string }[] = await sut.dataSource.query(`SELECT id FROM clients WHERE client_id = $1`, [t.publicClientId]);
    const issue = (userId: string) =>
      sut.app.get(RefreshTokensService).issue(
        { tenantId: t.tenantId, userId, clientPk, scope: 'models:list', accessJti: randomUUID(), accessExpiresAt: new Date(Date.now() + 900_000) },
        { absolute: 3600, idle: 600 },
        { action: 'login.succeeded', outcome: 'success', tenantId: t.tenantId, actor: userId, target: userId },
      );
    // Submitted in one turn, so sent as one statement; the second names a user that does not exist.
    const outcomes = await Promise.allSettled([issue(t.user.id), issue(randomUUID()), issue(t.user.id)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const committed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.familyId] : []));
    const families: { id: string }[] = await sut.dataSource.query(`SELECT id FROM refresh_token_families WHERE tenant_id = $1`, [t.tenantId]);
    expect(families.map((f) => f.id).sort()).toEqual(committed.sort());
    const tokens: { n: string }[] = await sut.dataSource.query(`SELECT count(*) AS n FROM refresh_tokens WHERE family_id = ANY($1::uuid[])`, [committed]);
    expect(Number(tokens[0].n)).toBe(2);
    const events: { actor: string }[] = await sut.dataSource.query(
      `SELECT actor FROM audit_events WHERE tenant_id = $1 AND action = 'login.succeeded'`,
      [t.tenantId],
    );
    expect(events.map((e) => e.actor)).toEqual([t.user.id, t.user.id]);
  });
});
