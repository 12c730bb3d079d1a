import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { Issuer } from 'openid-client';
import { KeysService } from '../src/keys/keys.service';
import { UsersService } from '../src/users/users.service';
import { RevocationCache } from '../src/verify/revocation-cache';
import { createTenant, type TenantFixture } from './support/fixtures';
import { FakeClock } from './support/fake-clock';
import { createTestApp, freePort, type TestApp } from './support/test-app';

const INVALID_GRANT = { error: 'invalid_grant', error_description: 'The grant is invalid, expired or revoked.' };
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed.' };

describe('POST /token', () => {
  let sut: TestApp;
  let base: string;
  let t: TenantFixture;
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    sut = await createTestApp({ LOCKOUT_AFTER: '3/15m', THROTTLE_PER_SUBJECT: '1000/60s', ISSUER: base }, { clock });
    await sut.app.listen({ port, host: '127.0.0.1' });
    t = await createTenant(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  const token = (form: Record<string, string>) => sut.http().post('/token').type('form').send(form);
  const login = (fixture = t, extra: Record<string, string> = {}) =>
    token({ grant_type: 'password', client_id: fixture.publicClientId, username: fixture.user.username, password: fixture.user.password, ...extra });
  const refresh = (refreshToken: string, clientId = t.publicClientId, extra: Record<string, string> = {}) =>
    token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken, ...extra });

  describe('password grant', () => {
    it('issues RFC 9068 tokens an off-the-shelf OAuth client gets and jose verifies against the live JWKS', async () => {
      const issuer = await Issuer.discover(`${base}/.well-known/oauth-authorization-server`);
      const client = new issuer.Client({ client_id: t.publicClientId, token_endpoint_auth_method: 'none' });
      const set = await client.grant({ grant_type: 'password', username: t.user.username, password: t.user.password, scope: 'models:list' });
      expect(set).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'models:list', refresh_token: expect.any(String) });
      expect(Buffer.from(set.refresh_token!, 'base64url').length).toBeGreaterThanOrEqual(32);

      const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(set.access_token!, jwks, {
        issuer: sut.config.issuer,
        audience: sut.config.defaultAudience,
        typ: 'at+jwt',
        currentDate: clock.now(),
      });
      expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: sut.app.get(KeysService).ring.current!.kid });
      expect(Object.keys(payload).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'nbf', 'scope', 'sub', 'tenant', 'tenant_id']);
      expect(payload).toMatchObject({ sub: t.user.id, client_id: t.publicClientId, scope: 'models:list', tenant_id: t.tenantId, tenant: t.slug });
      expect(payload.exp! - payload.iat!).toBe(900);
      expect(payload.nbf).toBe(payload.iat);
      expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers with no-store, and grants everything allowed when no scope is asked for', async () => {
      const res = await login().expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.body.scope).toBe('models:list chat:completions');
    });

    it('takes a JSON body as well as a form', async () => {
      const res = await sut
        .http()
        .post('/token')
        .send({ grant_type: 'password', client_id: t.publicClientId, username: 'alice', password: t.user.password })
        .expect(200);
      expect(res.body.access_token).toEqual(expect.any(String));
    });

    it('gives a wrong password and an unknown user the same answer', async () => {
      const fresh = await createTenant(sut);
      const wrong = await token({ grant_type: 'password', client_id: fresh.publicClientId, username: 'Alice', password: 'not-the-password' });
      const unknown = await token({ grant_type: 'password', client_id: fresh.publicClientId, username: 'nobody', password: 'not-the-password' });
      expect([wrong.status, unknown.status]).toEqual([400, 400]);
      expect(wrong.body).toEqual(INVALID_GRANT);
      expect(unknown.body).toEqual(wrong.body);
      expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
    });

    it('locks an account after LOCKOUT_AFTER failures, even against the right password', async () => {
      const fresh = await createTenant(sut);
      for (let i = 0; i < 3; i++) await login(fresh, { password: 'wrong-password' }).expect(400);
      const res = await login(fresh).expect(400);
      expect(res.body).toEqual(INVALID_GRANT);
      clock.advance(15 * 60 + 1);
      await login(fresh).expect(200);
    });

    it('counts failures that arrive together, and judges the next attempt after counting them', async () => {
      const fresh = await createTenant(sut);
      await Promise.all([1, 2, 3].map(() => login(fresh, { password: 'wrong-password' }).expect(400)));
      expect((await login(fresh).expect(400)).body).toEqual(INVALID_GRANT);
      const [row] = await sut.dataSource.query(`SELECT lock_count FROM user_lockouts WHERE user_id = $1`, [fresh.user.id]);
      expect(row).toEqual({ lock_count: 1 });
      clock.advance(15 * 60 + 1);
      await login(fresh).expect(200);
    });

    it('refuses disabled users and suspended tenants', async () => {
      const disabled = await createTenant(sut);
      await sut.dataSource.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [disabled.user.id]);
      expect((await login(disabled).expect(400)).body).toEqual(INVALID_GRANT);
      const suspended = await createTenant(sut);
      await sut.dataSource.query(`UPDATE tenants SET status = 'suspended' WHERE id = $1`, [suspended.tenantId]);
      expect((await login(suspended).expect(400)).body).toEqual(INVALID_GRANT);
    });

    it('writes concurrent logins together, each with its own answer, family, first token and audit event', async () => {
      const fresh = await createTenant(sut);
      const password = fresh.user.password;
      const users = await Promise.all(
        ['Bob', 'Carol', 'Dave'].map((username) => sut.app.get(UsersService).insert({ tenantId: fresh.tenantId, username, password, scopes: ['models:list'] })),
      );
      const attempts = [...users, ...users];
      const attempt = (username: string, pw: string) => token({ grant_type: 'password', client_id: fresh.publicClientId, username, password: pw });
      const [answers, refused] = await Promise.all([
        Promise.all(attempts.map((u) => attempt(u.username, password).expect(200))),
        // Among them, an unknown user and a wrong password: each still gets its own answer.
        Promise.all([attempt('Eve', password), attempt('Bob', 'not-the-password')]),
      ]);
      expect(refused.map((r) => [r.status, r.body])).toEqual([
        [400, INVALID_GRANT],
        [400, INVALID_GRANT],
      ]);
      const issued = answers.map(({ body }) => decodeJwt(body.access_token)).map(({ sub, jti }) => `${sub}/${jti}`);
      const families: { user_id: string; jti: string; tx: string }[] = await sut.dataSource.query(
        `SELECT f.user_id, t.access_token_jti::text AS jti, f.xmin::text AS tx
         FROM refresh_token_families f JOIN refresh_tokens t ON t.family_id = f.id WHERE f.tenant_id = $1`,
        [fresh.tenantId],
      );
      const events: { actor: string; jti: string }[] = await sut.dataSource.query(
        `SELECT actor, details->>'jti' AS jti FROM audit_events WHERE tenant_id = $1 AND action = 'login.succeeded'`,
        [fresh.tenantId],
      );
      expect(families.map((f) => `${f.user_id}/${f.jti}`).sort()).toEqual([...issued].sort());
      expect(events.map((e) => `${e.actor}/${e.jti}`).sort()).toEqual([...issued].sort());
      // Group commit: some of them shared a statement, so a transaction.
      expect(new Set(families.map((f) => f.tx)).size).toBeLessThan(attempts.length);
      for (const { body } of answers) await refresh(body.refresh_token, fresh.publicClientId).expect(200);
    });

    it('re-hashes a password hash made with older parameters on the next good login', async () => {
      const fresh = await createTenant(sut);
      const weak = '$argon2id$v=19$m=8192,t=1,p=1$';
      const { hash } = await import('@node-rs/argon2');
      const old = await hash(fresh.user.password, { algorithm: 2, memoryCost: 8192, timeCost: 1, parallelism: 1 });
      expect(old.startsWith(weak)).toBe(true);
      await sut.dataSource.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [fresh.user.id, old]);
      await login(fresh).expect(200);
      const [{ password_hash }] = await sut.dataSource.query(`SELECT password_hash FROM users WHERE id = $1`, [fresh.user.id]);
      expect(password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });
  });

  describe('refresh_token grant', () => {
    it('rotates through a chain of 5, each token usable once', async () => {
      let current = (await login().expect(200)).body.refresh_token;
      const seen = new Set([current]);
      for (let i = 0; i < 5; i++) {
        const res = await refresh(current).expect(200);
        expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'models:list chat:completions' });
        current = res.body.refresh_token;
        expect(seen.has(current)).toBe(false);
        seen.add(current);
      }
    });

    it('revokes the whole family when an old token is replayed: the newest refresh and access tokens die too', async () => {
      const first = (await login().expect(200)).body;
      const second = (await refresh(first.refresh_token).expect(200)).body;
      const third = (await refresh(second.refresh_token).expect(200)).body;
      await sut.http().get('/me').auth(third.access_token, { type: 'bearer' }).expect(200);

      expect((await refresh(first.refresh_token).expect(400)).body).toEqual(INVALID_GRANT);
      expect((await refresh(third.refresh_token).expect(400)).body).toEqual(INVALID_GRANT);
      const me = await sut.http().get('/me').auth(third.access_token, { type: 'bearer' }).expect(401);
      expect(me.headers['www-authenticate']).toBe('Bearer realm="tessera", error="invalid_token"');
      const events = await sut.dataSource.query(
        `SELECT action, details FROM audit_events WHERE action = 'refresh_token.reuse_detected' AND actor = $1`,
        [t.user.id],
      );
      expect(events.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(events)).not.toContain(first.refresh_token);
    });

    it('lets exactly one of 20 concurrent presentations of one token succeed', async () => {
      const { refresh_token } = (await login().expect(200)).body;
      const results = await Promise.all(Array.from({ length: 20 }, () => refresh(refresh_token)));
      expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(400)]);
    });

    it('may narrow the scope, never widen it', async () => {
      const { refresh_token } = (await login().expect(200)).body;
      const wide = await refresh(refresh_token, t.publicClientId, { scope: 'models:list embeddings' }).expect(400);
      expect(wide.body).toEqual({ error: 'invalid_scope', error_description: 'The requested scope is invalid or exceeds what may be granted.' });
      // A refused widening does not use the token up.
      const narrow = await refresh(refresh_token, t.publicClientId, { scope: 'models:list' }).expect(200);
      expect(narrow.body.scope).toBe('models:list');
      const again = await refresh(narrow.body.refresh_token).expect(200);
      expect(again.body.scope).toBe('models:list chat:completions');
    });

    it('refuses a refresh token presented by another client, without using it up', async () => {
      const { refresh_token } = (await login().expect(200)).body;
      const other = await sut
        .http()
        .post('/token')
        .type('form')
        .auth(t.confidential.clientId, t.confidential.secret)
        .send({ grant_type: 'refresh_token', refresh_token })
        .expect(400);
      expect(other.body).toEqual(INVALID_GRANT);
      await refresh(refresh_token).expect(200);
    });

    it('refuses refreshes once the user is disabled or the tenant suspended', async () => {
      const fresh = await createTenant(sut);
      const a = (await login(fresh).expect(200)).body.refresh_token;
      await sut.dataSource.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [fresh.user.id]);
      expect((await refresh(a, fresh.publicClientId).expect(400)).body).toEqual(INVALID_GRANT);
      await sut.dataSource.query(`UPDATE users SET disabled_at = NULL WHERE id = $1`, [fresh.user.id]);
      await sut.dataSource.query(`UPDATE tenants SET status = 'suspended' WHERE id = $1`, [fresh.tenantId]);
      expect((await refresh(a, fresh.publicClientId).expect(400)).body).toEqual(INVALID_GRANT);
    });

    it('expires after the idle lifetime and after the absolute lifetime', async () => {
      const fresh = await createTenant(sut, { settings: { refreshIdleTtl: 600, refreshTokenTtl: 1000 } });
      const idle = (await login(fresh).expect(200)).body.refresh_token;
      clock.advance(601);
      expect((await refresh(idle, fresh.publicClientId).expect(400)).body).toEqual(INVALID_GRANT);
      let live = (await login(fresh).expect(200)).body.refresh_token;
      clock.advance(500);
      live = (await refresh(live, fresh.publicClientId).expect(200)).body.refresh_token;
      clock.advance(501);
      expect((await refresh(live, fresh.publicClientId).expect(400)).body).toEqual(INVALID_GRANT);
    });

    it('does not know tokens it never issued', async () => {
      expect((await refresh('not-a-token').expect(400)).body).toEqual(INVALID_GRANT);
    });
  });

  describe('client_credentials grant', () => {
    it('accepts an API key as client credentials, with no refresh token', async () => {
      const res = await token({ grant_type: 'client_credentials', client_id: t.apiKey.id, client_secret: t.apiKey.key, scope: 'ocr:infer' }).expect(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, scope: 'ocr:infer' });
      const claims = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ sub: t.apiKey.id, client_id: t.apiKey.id, tenant_id: t.tenantId, scope: 'ocr:infer' });
      expect(t.apiKey.key.startsWith('tsk_')).toBe(true);
    });

    it('accepts a confidential client by HTTP Basic or in the body', async () => {
      const basic = await sut.http().post('/token').type('form').auth(t.confidential.clientId, t.confidential.secret).send({ grant_type: 'client_credentials' }).expect(200);
      expect(basic.body.refresh_token).toBeUndefined();
      await token({ grant_type: 'client_credentials', client_id: t.confidential.clientId, client_secret: t.confidential.secret }).expect(200);
    });

    it('refuses revoked and expired API keys', async () => {
      // Keys are judged from the revocation cache: a change made behind this instance's back
      // (here by SQL, as by another instance) counts once its poll has run.
      const changed = async (sql: string) => {
        await sut.dataSource.query(sql, [t.apiKey.id]);
        await sut.app.get(RevocationCache).refresh();
      };
      for (const [change, undo] of [
        [`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, `UPDATE api_keys SET expires_at = NULL WHERE id = $1`],
        [`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, `UPDATE api_keys SET revoked_at = NULL WHERE id = $1`],
      ]) {
        await changed(change);
        const res = await token({ grant_type: 'client_credentials', client_id: t.apiKey.id, client_secret: t.apiKey.key }).expect(401);
        expect(res.body).toEqual(INVALID_CLIENT);
        await changed(undo);
        await token({ grant_type: 'client_credentials', client_id: t.apiKey.id, client_secret: t.apiKey.key }).expect(200);
      }
    });
  });

  describe('the error table of contract 2.1', () => {
    const cases: [string, () => Promise<{ status: number; body: unknown; headers: Record<string, string> }>, number, object][] = [
      ['a missing parameter', () => token({ grant_type: 'password', client_id: t.publicClientId, username: 'alice' }), 400, { error: 'invalid_request', error_description: 'The password parameter is missing.' }],
      ['a repeated parameter', () => sut.http().post('/token').type('form').send('grant_type=password&grant_type=password'), 400, { error: 'invalid_request', error_description: 'The grant_type parameter is repeated.' }],
      ['a malformed JSON body', () => sut.http().post('/token').set('content-type', 'application/json').send('{"grant_type":'), 400, { error: 'invalid_request', error_description: expect.any(String) }],
      ['a wrong content type', () => sut.http().post('/token').set('content-type', 'application/xml').send('<a/>'), 400, { error: 'invalid_request', error_description: expect.any(String) }],
      ['an unknown client', () => token({ grant_type: 'password', client_id: 'nobody', username: 'a', password: 'b' }), 401, INVALID_CLIENT],
      ['a bad client secret', () => token({ grant_type: 'client_credentials', client_id: t.confidential.clientId, client_secret: 'wrong' }), 401, INVALID_CLIENT],
      ['a wrong password', () => login(t, { password: 'wrong-password' }), 400, INVALID_GRANT],
      ['a grant type the client may not use', () => token({ grant_type: 'client_credentials', client_id: t.publicClientId }), 400, { error: 'unauthorized_client', error_description: 'The client is not allowed to use this grant type.' }],
      ['an unknown grant type', () => token({ grant_type: 'urn:magic', client_id: t.publicClientId }), 400, { error: 'unsupported_grant_type', error_description: 'The grant type is not supported.' }],
      ['a scope not allowed', () => login(t, { scope: 'embeddings' }), 400, { error: 'invalid_scope', error_description: 'The requested scope is invalid or exceeds what may be granted.' }],
    ];

    it.each(cases)('answers %s with the RFC 6749 body, no-store', async (_name, send, status, body) => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body).toEqual(body);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |SELECT |stack|Error:/);
      if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    });

    it('answers a body over 16 KiB with invalid_request, not a 5xx', async () => {
      const res = await token({ grant_type: 'password', client_id: t.publicClientId, username: 'x'.repeat(17 * 1024), password: 'y' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });
});
