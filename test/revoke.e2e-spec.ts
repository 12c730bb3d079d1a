import { bearer } from './support/admin';
import { createTenant, type TenantFixture } from './support/fixtures';
import { createTestApp, type TestApp } from './support/test-app';

const INVALID_GRANT = { error: 'invalid_grant', error_description: 'The grant is invalid, expired or revoked.' };

/** Contract 2.4 / RFC 7009: POST /revoke. */
describe('POST /revoke', () => {
  let sut: TestApp;
  let t: TenantFixture;

  beforeAll(async () => {
    sut = await createTestApp({ THROTTLE_PER_SUBJECT: '1000/60s', THROTTLE_PER_IP: '10000/60s' });
    t = await createTenant(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
  const token = (form: Record<string, string>, headers: Record<string, string> = {}) => sut.http().post('/token').set(headers).type('form').send(form);
  const login = async (clientId = t.publicClientId, headers: Record<string, string> = {}) =>
    (await token({ grant_type: 'password', client_id: clientId, username: t.user.username, password: t.user.password }, headers).expect(200)).body as {
      access_token: string;
      refresh_token: string;
    };
  const revoke = (form: Record<string, string>, headers: Record<string, string> = {}) => sut.http().post('/revoke').set(headers).type('form').send(form);
  const active = async (tok: string) =>
    (await sut.http().post('/introspect').set(basic(t.apiKey.id, t.apiKey.key)).type('form').send({ token: tok }).expect(200)).body.active as boolean;
  const audit = async (action: string) =>
    (await sut.dataSource.query(`SELECT actor, target, details FROM audit_events WHERE tenant_id = $1 AND action = $2 ORDER BY at`, [t.tenantId, action])) as {
      actor: string;
      target: string;
      details: Record<string, unknown>;
    }[];

  it('revokes an access token by jti: /me, /introspect and the audit trail agree', async () => {
    const session = await login();
    await sut.http().get('/me').set(bearer(session.access_token)).expect(200);
    const res = await revoke({ token: session.access_token, client_id: t.publicClientId }).expect(200);
    expect(res.body).toEqual({});
    expect(res.headers['cache-control']).toBe('no-store');
    await sut.http().get('/me').set(bearer(session.access_token)).expect(401);
    expect(await active(session.access_token)).toBe(false);
    // The session itself lives on: only that access token was revoked.
    await token({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: session.refresh_token }).expect(200);
    const [jti] = await sut.dataSource.query(`SELECT jti, reason FROM revoked_access_tokens WHERE reason = 'revoked_by_client'`);
    expect(jti).toBeDefined();
    expect(JSON.stringify(await audit('token.revoked'))).not.toContain(session.access_token);
  });

  it('revokes a refresh token with its whole family and the family’s access tokens', async () => {
    const session = await login();
    const rotated = (await token({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: session.refresh_token }).expect(200)).body;
    await revoke({ token: rotated.refresh_token, token_type_hint: 'refresh_token', client_id: t.publicClientId }).expect(200);
    expect((await token({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: rotated.refresh_token }).expect(400)).body).toEqual(INVALID_GRANT);
    expect(await active(rotated.access_token)).toBe(false);
    await sut.http().get('/me').set(bearer(rotated.access_token)).expect(401);
    const events = await audit('token.revoked');
    expect(events.some((e) => e.details.token_type === 'refresh_token')).toBe(true);
  });

  it('lets a client revoke only what was issued to it: another client’s token answers 200 and stays', async () => {
    const session = await login();
    await revoke({ token: session.refresh_token }, basic(t.confidential.clientId, t.confidential.secret)).expect(200);
    await revoke({ token: session.access_token }, basic(t.apiKey.id, t.apiKey.key)).expect(200);
    expect(await active(session.access_token)).toBe(true);
    await token({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: session.refresh_token }).expect(200);

    const other = await createTenant(sut);
    const theirs = (
      await sut
        .http()
        .post('/token')
        .type('form')
        .send({ grant_type: 'password', client_id: other.publicClientId, username: other.user.username, password: other.user.password })
        .expect(200)
    ).body;
    await revoke({ token: theirs.access_token, client_id: t.publicClientId }).expect(200);
    await sut.http().get('/me').set(bearer(theirs.access_token)).expect(200);
  });

  it('takes a confidential client’s own tokens by Basic, and binds a refresh token to its client', async () => {
    const headers = basic(t.confidential.clientId, t.confidential.secret);
    const session = await login(t.confidential.clientId, headers);
    // The public client cannot revoke the confidential client's refresh token...
    await revoke({ token: session.refresh_token, client_id: t.publicClientId }).expect(200);
    await token({ grant_type: 'refresh_token', refresh_token: session.refresh_token }, headers).expect(200).then(async (res) => {
      // ...its owner can.
      await revoke({ token: res.body.refresh_token }, headers).expect(200);
      await token({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token }, headers).expect(400);
    });
  });

  it('answers 200 for a garbage, unknown or expired-looking token (RFC 7009 §2.2)', async () => {
    for (const garbage of ['garbage', 'a.b.c', 'x'.repeat(43), '☃'.repeat(100)]) {
      await revoke({ token: garbage, client_id: t.publicClientId }).expect(200);
    }
  });

  it('refuses an unauthenticated caller (401 invalid_client) and a missing, repeated or NUL token (400)', async () => {
    const res = await revoke({ token: 'x' }).expect(401);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed.' });
    await revoke({ token: 'x' }, basic(t.confidential.clientId, 'wrong')).expect(401);
    expect((await revoke({ client_id: t.publicClientId }).expect(400)).body.error).toBe('invalid_request');
    await sut.http().post('/revoke').type('form').send(`client_id=${t.publicClientId}&token=a&token=b`).expect(400);
    await revoke({ token: 'a\u0000b', client_id: t.publicClientId }).expect(400);
    await sut.http().post('/revoke').set('content-type', 'text/plain').send('token=x').expect(400);
    await sut.http().post('/revoke').type('form').send(`client_id=${t.publicClientId}&token=${'x'.repeat(17 * 1024)}`).expect(400);
  });
});
