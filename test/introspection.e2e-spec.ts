import { decodeProtectedHeader } from 'jose';
import { bearer, platformToken } from './support/admin';
import { FakeClock } from './support/fake-clock';
import { createTenant, type TenantFixture } from './support/fixtures';
import { createTestApp, type TestApp } from './support/test-app';

const INACTIVE = { active: false };
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed.' };

/** Contract 2.4 / RFC 7662: POST /introspect, revocation-aware and confined to the caller's tenant. */
describe('POST /introspect', () => {
  let sut: TestApp;
  let platform: string;
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    sut = await createTestApp({ THROTTLE_PER_SUBJECT: '1000/60s', THROTTLE_PER_IP: '10000/60s' }, { clock });
    platform = await platformToken(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
  const introspect = (t: TenantFixture, token: string, extra: Record<string, string> = {}) =>
    sut.http().post('/introspect').set(basic(t.confidential.clientId, t.confidential.secret)).type('form').send({ token, ...extra });
  const login = async (t: TenantFixture) =>
    (
      await sut
        .http()
        .post('/token')
        .type('form')
        .send({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password })
        .expect(200)
    ).body as { access_token: string; refresh_token: string };
  const isActive = async (t: TenantFixture, token: string) => (await introspect(t, token).expect(200)).body.active as boolean;

  it('describes an active access token (RFC 7662 §2.2) with no-store', async () => {
    const t = await createTenant(sut);
    const { access_token } = await login(t);
    const res = await introspect(t, access_token).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      active: true,
      token_type: 'access_token',
      sub: t.user.id,
      client_id: t.publicClientId,
      scope: 'models:list chat:completions',
      tenant_id: t.tenantId,
      tenant: t.slug,
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iss: sut.config.issuer,
      aud: sut.config.defaultAudience,
    });
  });

  it('takes an API key as the caller, by Basic or in the body, and JSON as well as a form', async () => {
    const t = await createTenant(sut);
    const { access_token } = await login(t);
    await sut.http().post('/introspect').set(basic(t.apiKey.id, t.apiKey.key)).type('form').send({ token: access_token }).expect(200, { ...(await introspect(t, access_token)).body });
    const body = await sut.http().post('/introspect').send({ token: access_token, client_id: t.apiKey.id, client_secret: t.apiKey.key }).expect(200);
    expect(body.body.active).toBe(true);
  });

  it('refuses an unauthenticated caller, a public client and a wrong secret with 401 invalid_client', async () => {
    const t = await createTenant(sut);
    const { access_token } = await login(t);
    for (const res of [
      await sut.http().post('/introspect').type('form').send({ token: access_token }),
      await sut.http().post('/introspect').type('form').send({ token: access_token, client_id: t.publicClientId }),
      await sut.http().post('/introspect').set(basic(t.confidential.clientId, 'wrong')).type('form').send({ token: access_token }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual(INVALID_CLIENT);
      expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    }
  });

  it('answers invalid_request for a missing, repeated or NUL-carrying token', async () => {
    const t = await createTenant(sut);
    await introspect(t, '').expect(400);
    const repeated = await sut.http().post('/introspect').set(basic(t.confidential.clientId, t.confidential.secret)).type('form').send('token=a&token=b').expect(400);
    expect(repeated.body.error).toBe('invalid_request');
    await introspect(t, 'a\u0000b').expect(400);
  });

  it('shows a caller only tokens of its own tenant', async () => {
    const mine = await createTenant(sut);
    const theirs = await createTenant(sut);
    const { access_token, refresh_token } = await login(theirs);
    expect((await introspect(mine, access_token).expect(200)).body).toEqual(INACTIVE);
    expect((await introspect(mine, refresh_token).expect(200)).body).toEqual(INACTIVE);
    expect(await isActive(theirs, access_token)).toBe(true);
  });

  it('is inactive for garbage, expired and not-yet-valid tokens', async () => {
    const t = await createTenant(sut);
    expect((await introspect(t, 'garbage').expect(200)).body).toEqual(INACTIVE);
    expect((await introspect(t, 'a.b.c').expect(200)).body).toEqual(INACTIVE);
    const { access_token } = await login(t);
    clock.advance(901);
    try {
      expect(await isActive(t, access_token)).toBe(false);
    } finally {
      clock.advance(-901);
    }
    clock.advance(600);
    let early: string;
    try {
      early = (await login(t)).access_token;
    } finally {
      clock.advance(-600);
    }
    // Issued ten minutes "from now" by this clock: not valid yet.
    expect(await isActive(t, early)).toBe(false);
    clock.advance(600);
    try {
      expect(await isActive(t, early)).toBe(true);
    } finally {
      clock.advance(-600);
    }
  });

  it('is inactive once revoked by jti at /revoke, and for every token of a revoked family', async () => {
    const t = await createTenant(sut);
    const a = await login(t);
    await sut.http().post('/revoke').type('form').send({ token: a.access_token, client_id: t.publicClientId }).expect(200);
    expect(await isActive(t, a.access_token)).toBe(false);

    const b = await login(t);
    expect(await isActive(t, b.refresh_token)).toBe(true);
    await sut.http().post('/revoke').type('form').send({ token: b.refresh_token, client_id: t.publicClientId, token_type_hint: 'refresh_token' }).expect(200);
    expect(await isActive(t, b.access_token)).toBe(false);
    expect(await isActive(t, b.refresh_token)).toBe(false);
  });

  it('is inactive for tokens of a disabled user and of a deleted user', async () => {
    const t = await createTenant(sut);
    const { access_token, refresh_token } = await login(t);
    await sut.http().patch(`/admin/tenants/${t.tenantId}/users/${t.user.id}`).set(bearer(platform)).send({ disabled: true }).expect(200);
    expect(await isActive(t, access_token)).toBe(false);
    expect(await isActive(t, refresh_token)).toBe(false);

    const u = await createTenant(sut);
    const other = await login(u);
    await sut.http().delete(`/admin/tenants/${u.tenantId}/users/${u.user.id}`).set(bearer(platform)).expect(204);
    expect(await isActive(u, other.access_token)).toBe(false);
    expect(await isActive(u, other.refresh_token)).toBe(false);
  });

  it('is inactive for tokens of a suspended tenant, also after reactivation, and of a deleted tenant', async () => {
    const t = await createTenant(sut);
    const { access_token } = await login(t);
    const machine = (await sut.http().post('/token').set(basic(t.apiKey.id, t.apiKey.key)).type('form').send({ grant_type: 'client_credentials' }).expect(200)).body;
    await sut.http().patch(`/admin/tenants/${t.tenantId}`).set(bearer(platform)).send({ status: 'suspended' }).expect(200);
    expect(await isActive(t, access_token)).toBe(false);
    expect(await isActive(t, machine.access_token)).toBe(false);
    // A suspension refuses every token of its own second too, so a new one comes a second later.
    clock.advance(1);
    await sut.http().patch(`/admin/tenants/${t.tenantId}`).set(bearer(platform)).send({ status: 'active' }).expect(200);
    expect(await isActive(t, access_token)).toBe(false);
    expect(await isActive(t, (await login(t)).access_token)).toBe(true);

    const d = await createTenant(sut);
    const gone = await login(d);
    await sut.http().delete(`/admin/tenants/${d.tenantId}`).set(bearer(platform)).expect(204);
    // Its clients are gone too, so nobody can even ask: the caller fails to authenticate.
    await introspect(d, gone.access_token).expect(401);
    const bystander = await createTenant(sut);
    expect((await introspect(bystander, gone.access_token).expect(200)).body).toEqual(INACTIVE);
  });

  it('is inactive for tokens signed by a revoked key', async () => {
    const t = await createTenant(sut);
    const { access_token } = await login(t);
    const kid = decodeProtectedHeader(access_token).kid!;
    await sut.http().post(`/admin/keys/${kid}/revoke`).set(bearer(platform)).expect(200);
    expect(await isActive(t, access_token)).toBe(false);
    expect(await isActive(t, (await login(t)).access_token)).toBe(true);
    platform = await platformToken(sut);
  });

  it('is inactive for tokens issued before the user’s logout-all or password change', async () => {
    const t = await createTenant(sut);
    const before = await login(t);
    clock.advance(1);
    await sut.http().delete(`/admin/tenants/${t.tenantId}/users/${t.user.id}/sessions`).set(bearer(platform)).expect(200);
    expect(await isActive(t, before.access_token)).toBe(false);
    clock.advance(1);

    const session = await login(t);
    const elsewhere = await login(t);
    clock.advance(1);
    await sut
      .http()
      .post('/me/password')
      .set(bearer(session.access_token))
      .send({ currentPassword: t.user.password, newPassword: 'a brand new password 42' })
      .expect(200);
    expect(await isActive(t, session.access_token)).toBe(false);
    expect(await isActive(t, elsewhere.access_token)).toBe(false);
    clock.advance(1);
    // The session that changed the password lives on: its refresh gets a token issued after the change.
    const refreshed = await sut.http().post('/token').type('form').send({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: session.refresh_token }).expect(200);
    expect(await isActive(t, refreshed.body.access_token)).toBe(true);
    expect(await isActive(t, elsewhere.refresh_token)).toBe(false);
  });

  it('describes a refresh token, and not once it is spent', async () => {
    const t = await createTenant(sut);
    const { refresh_token } = await login(t);
    const res = await introspect(t, refresh_token, { token_type_hint: 'refresh_token' }).expect(200);
    expect(res.body).toMatchObject({ active: true, token_type: 'refresh_token', sub: t.user.id, client_id: t.publicClientId, tenant_id: t.tenantId, scope: 'models:list chat:completions' });
    await sut.http().post('/token').type('form').send({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token }).expect(200);
    expect(await isActive(t, refresh_token)).toBe(false);
  });
});
