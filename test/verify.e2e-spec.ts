import { generateKeyPairSync, randomUUID, createPublicKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, base64url, decodeProtectedHeader, exportJWK } from 'jose';
import { ClientsService } from '../src/clients/clients.service';
import { KeysService } from '../src/keys/keys.service';
import { RevocationCache } from '../src/verify/revocation-cache';
import { bearer, platformToken } from './support/admin';
import { createTenant, type TenantFixture } from './support/fixtures';
import { createTestApp, type TestApp } from './support/test-app';

const CHALLENGE_INVALID = 'Bearer realm="tessera", error="invalid_token"';

/** Contract 2.6: GET /verify for nginx auth_request, Traefik ForwardAuth and Envoy ext_authz. */
describe('GET /verify', () => {
  let sut: TestApp;
  let t: TenantFixture;
  let session: { access_token: string; refresh_token: string };

  beforeAll(async () => {
    sut = await createTestApp({ THROTTLE_PER_SUBJECT: '1000/60s' });
    t = await createTenant(sut);
    session = await login(t);
  });

  afterAll(async () => {
    await sut.close();
  });

  async function login(fixture: TenantFixture): Promise<{ access_token: string; refresh_token: string }> {
    const res = await sut
      .http()
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', client_id: fixture.publicClientId, username: fixture.user.username, password: fixture.user.password })
      .expect(200);
    return res.body;
  }

  /** What nginx's auth_request sends. */
  const nginx = (credential: Record<string, string>, method = 'GET', uri = '/v1/models') =>
    sut.http().get('/verify').set({ 'x-original-method': method, 'x-original-uri': uri, ...credential });
  const refresh = () => sut.app.get(RevocationCache).refresh();

  describe('allows', () => {
    it('a token holding the route’s scope: 204 with who it is, never cached', async () => {
      const res = await nginx(bearer(session.access_token), 'POST', '/v1/chat/completions?stream=true').expect(204);
      expect(res.headers).toMatchObject({
        'x-auth-subject': t.user.id,
        'x-auth-tenant': t.slug,
        'x-auth-tenant-id': t.tenantId,
        'x-auth-scope': 'models:list chat:completions',
        'x-auth-client': t.publicClientId,
        'cache-control': 'no-store',
      });
    });

    it('an API key as a bearer token and in X-API-Key', async () => {
      for (const credential of [bearer(t.apiKey.key), { 'x-api-key': t.apiKey.key }]) {
        const res = await nginx(credential, 'POST', '/ocr/extract').expect(204);
        expect(res.headers).toMatchObject({ 'x-auth-subject': t.apiKey.id, 'x-auth-client': t.apiKey.id, 'x-auth-scope': 'ocr:infer models:list' });
      }
    });

    it('Traefik ForwardAuth: X-Forwarded-Method and X-Forwarded-Uri', async () => {
      await sut.http().get('/verify').set({ 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/v1/models', ...bearer(session.access_token) }).expect(204);
      await sut.http().get('/verify').set({ 'x-forwarded-method': 'POST', 'x-forwarded-uri': '/v1/embeddings', ...bearer(session.access_token) }).expect(403);
    });

    it('Envoy ext_authz: /verify<original path> with the original method, answered 200', async () => {
      const res = await sut.http().get('/verify/v1/models').set(bearer(session.access_token)).expect(200);
      expect(res.headers['x-auth-subject']).toBe(t.user.id);
      // The original body may come along; it is not read.
      await sut.http().post('/verify/v1/chat/completions').set(bearer(session.access_token)).set('content-type', 'application/json').send('{"model":"x"}').expect(200);
      await sut.http().post('/verify/v1/embeddings').set(bearer(session.access_token)).expect(403);
      await sut.http().get('/verify/v1/models').expect(401);
    });
  });

  describe('refuses', () => {
    it('a request without a credential with a bare RFC 6750 challenge', async () => {
      const res = await nginx({}).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
      expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid, expired or revoked.' });
    });

    it('a token without the route’s scope, and a route no rule names, with insufficient_scope', async () => {
      const res = await nginx(bearer(session.access_token), 'POST', '/v1/embeddings').expect(403);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_scope", scope="embeddings"');
      expect(res.body.error).toBe('insufficient_scope');
      const unnamed = await nginx(bearer(session.access_token), 'GET', '/v1/unknown').expect(403);
      expect(unnamed.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_scope"');
      await sut.http().get('/verify').set(bearer(session.access_token)).expect(403);
    });

    it('proxies’ headers that disagree on the route, and paths servers read differently', async () => {
      await sut
        .http()
        .get('/verify')
        .set({ 'x-original-method': 'GET', 'x-original-uri': '/v1/models', 'x-forwarded-uri': '/v1/chat/completions', ...bearer(session.access_token) })
        .expect(403);
      for (const uri of ['/v1/models/../chat/completions', '/v1%2fmodels', '/v1/models%00']) {
        await nginx(bearer(session.access_token), 'GET', uri).expect(403);
      }
    });

    it('two credentials at once', async () => {
      const res = await nginx({ ...bearer(session.access_token), 'x-api-key': t.apiKey.key }).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="invalid_request"');
    });

    it('bad credentials with 401 and the challenge, never a 5xx', async () => {
      const [h, p, s] = session.access_token.split('.');
      const flip = (part: string) => part.slice(0, -2) + (part.at(-2) === 'A' ? 'B' : 'A') + part.at(-1);
      const header = (fields: Record<string, unknown>) => base64url.encode(JSON.stringify(fields));
      const kid = decodeProtectedHeader(session.access_token).kid;
      const cases: Record<string, string> = {
        malformed: 'not-a-jwt',
        'three dots': 'a.b.c.d',
        oversized: `${h}.${'A'.repeat(6000)}.${s}`,
        'flipped signature': `${h}.${p}.${flip(s)}`,
        'tampered payload': `${h}.${base64url.encode(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'embeddings' }))}.${s}`,
        'unknown kid': `${header({ alg: 'RS256', typ: 'at+jwt', kid: 'nope' })}.${p}.${s}`,
        'NUL in kid': `${header({ alg: 'RS256', typ: 'at+jwt', kid: `${kid}\u0000` })}.${p}.${s}`,
        'SQL in kid': `${header({ alg: 'RS256', typ: 'at+jwt', kid: "' OR 1=1 --" })}.${p}.${s}`,
        'alg none': `${header({ alg: 'none', typ: 'at+jwt', kid })}.${p}.`,
        'garbage API key': 'tsk_' + 'x'.repeat(65),
        'unknown API key': `tsk_${base64url.encode(Buffer.from(randomUUID().replace(/-/g, ''), 'hex'))}${'y'.repeat(43)}`,
        'API key with a wrong secret': t.apiKey.key.slice(0, -5) + 'abcde',
      };
      for (const [name, token] of Object.entries(cases)) {
        const res = await nginx(bearer(token));
        expect({ name, status: res.status, challenge: res.headers['www-authenticate'] }).toEqual({ name, status: 401, challenge: CHALLENGE_INVALID });
      }
      // Beyond Node's 16 KiB of headers, the HTTP server itself refuses: still a 4xx.
      await nginx(bearer(`${h}.${'A'.repeat(20_000)}.${s}`)).expect(431);
      await nginx({ authorization: 'Bearer' }).expect(401);
      await nginx({ authorization: 'Basic dXNlcjpwYXNz' }).expect(401);
    });

    it('a token signed by a key the service never published, even under its kid', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const claims = JSON.parse(Buffer.from(session.access_token.split('.')[1], 'base64url').toString());
      const kid = sut.app.get(KeysService).ring.current!.kid;
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(privateKey);
      await nginx(bearer(forged)).expect(401);
      // HS256 keyed with the service's own public key (the classic algorithm confusion).
      const jwk = await exportJWK(createPublicKey({ key: sut.app.get(KeysService).ring.verificationKey(kid)!.key.export({ format: 'pem', type: 'spki' }) }));
      const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid }).sign(Buffer.from(JSON.stringify(jwk)));
      await nginx(bearer(hs)).expect(401);
    });

    it('a NUL byte in a raw header: refused by the HTTP parser with a 4xx, no hang', async () => {
      const server = sut.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write('GET /verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\u0000b\r\n\r\n'));
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
        socket.setTimeout(5000, () => reject(new Error('no answer')));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    });
  });

  describe('model scopes (contract 2.7)', () => {
    it('restrict a token to the models they name; a token without any is not restricted', async () => {
      const f = await createTenant(sut, { userScopes: ['models:read', 'model:qwen3', 'model:Qwen/Qwen3-VL-4B'] });
      await sut.dataSource.query(`UPDATE tenants SET scopes = scopes || '{model:qwen3,model:Qwen/Qwen3-VL-4B}'::text[] WHERE id = $1`, [f.tenantId]);
      await sut.dataSource.query(`UPDATE clients SET scopes = scopes || '{model:qwen3,model:Qwen/Qwen3-VL-4B}'::text[] WHERE tenant_id = $1`, [f.tenantId]);
      const limited = (await login(f)).access_token;
      await nginx(bearer(limited), 'GET', '/v1/models/qwen3').expect(204);
      await nginx(bearer(limited), 'GET', '/v1/models/Qwen/Qwen3-VL-4B').expect(204);
      const refused = await nginx(bearer(limited), 'GET', '/v1/models/llama-3').expect(403);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_scope", scope="model:llama-3"');

      const g = await createTenant(sut, { userScopes: ['models:read'] });
      const open = (await login(g)).access_token;
      await nginx(bearer(open), 'GET', '/v1/models/llama-3').expect(204);
    });
  });

  describe('follows revocations', () => {
    it('of a revoked access token, a logged-out user, a disabled user, a revoked API key and a suspended tenant', async () => {
      const platform = await platformToken(sut);
      const fixture = await createTenant(sut);
      const revokedOne = await login(fixture);
      const loggedOut = await login(fixture);
      for (const credential of [bearer(revokedOne.access_token), bearer(loggedOut.access_token), { 'x-api-key': fixture.apiKey.key }]) {
        await nginx(credential).expect(204);
      }
      await sut
        .http()
        .post('/revoke')
        .type('form')
        .send({ token: revokedOne.access_token, client_id: fixture.publicClientId })
        .expect(200);
      await refresh();
      await nginx(bearer(revokedOne.access_token)).expect(401);
      await nginx(bearer(loggedOut.access_token)).expect(204);

      await sut.http().delete(`/admin/tenants/${fixture.tenantId}/users/${fixture.user.id}/sessions`).set(bearer(platform)).expect(200);
      await refresh();
      await nginx(bearer(loggedOut.access_token)).expect(401);

      await sut.http().delete(`/admin/tenants/${fixture.tenantId}/api-keys/${fixture.apiKey.id}`).set(bearer(platform)).expect(204);
      await refresh();
      await nginx({ 'x-api-key': fixture.apiKey.key }).expect(401);

      const other = await createTenant(sut);
      const otherSession = await login(other);
      await nginx(bearer(otherSession.access_token)).expect(204);
      await sut.http().patch(`/admin/tenants/${other.tenantId}/users/${other.user.id}`).set(bearer(platform)).send({ disabled: true }).expect(200);
      await refresh();
      await nginx(bearer(otherSession.access_token)).expect(401);

      const third = await createTenant(sut);
      const thirdSession = await login(third);
      await nginx(bearer(thirdSession.access_token)).expect(204);
      await nginx({ 'x-api-key': third.apiKey.key }, 'POST', '/ocr/x').expect(204);
      await sut.http().patch(`/admin/tenants/${third.tenantId}`).set(bearer(platform)).send({ status: 'suspended' }).expect(200);
      await refresh();
      await nginx(bearer(thirdSession.access_token)).expect(401);
      await nginx({ 'x-api-key': third.apiKey.key }, 'POST', '/ocr/x').expect(401);
    });

    it('of a revoked signing key: every token it signed', async () => {
      const platform = await platformToken(sut);
      const fresh = await login(t);
      const kid = decodeProtectedHeader(fresh.access_token).kid!;
      await nginx(bearer(fresh.access_token)).expect(204);
      await sut.http().post(`/admin/keys/${kid}/revoke`).set(bearer(platform)).expect(200);
      await nginx(bearer(fresh.access_token)).expect(401);
      // Tokens of the key that took over work.
      session = await login(t);
      await nginx(bearer(session.access_token)).expect(204);
    });
  });
});

describe('GET /verify with ROUTE_POLICY_FILE', () => {
  let sut: TestApp;
  let t: TenantFixture;
  let token: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(
      file,
      [
        'audience: https://models.internal',
        'routes:',
        '  - { method: GET, path: "/v1/models/{model}", scope: models:list }',
        '  - { method: POST, path: /predict/*, scopes: [chat:completions] }',
        '  - { method: GET, path: /healthz, scopes: [] }',
      ].join('\n'),
    );
    sut = await createTestApp({ ROUTE_POLICY_FILE: file, DEFAULT_AUDIENCE: 'https://models.internal' });
    t = await createTenant(sut);
    const res = await sut
      .http()
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password })
      .expect(200);
    token = res.body.access_token;
  });

  afterAll(async () => {
    await sut.close();
  });

  const nginx = (method: string, uri: string, credential: Record<string, string> = bearer(token)) =>
    sut.http().get('/verify').set({ 'x-original-method': method, 'x-original-uri': uri, ...credential });

  it('applies the file’s rules: {param} segments, trailing *, an empty scope list; nothing else', async () => {
    await nginx('GET', '/v1/models/qwen3').expect(204);
    await nginx('GET', '/v1/models/qwen3/extra').expect(403);
    await nginx('POST', '/predict/a/b').expect(204);
    await nginx('POST', '/predict').expect(403);
    await nginx('GET', '/healthz').expect(204);
    await nginx('GET', '/v1/models').expect(403);
  });

  it('requires the file’s audience of a JWT (API keys carry none)', async () => {
    const { client } = await sut.app.get(ClientsService).create({
      tenantId: t.tenantId,
      name: 'elsewhere',
      type: 'public',
      grantTypes: ['password'],
      scopes: ['models:list'],
      audience: 'https://elsewhere.internal',
    });
    const res = await sut
      .http()
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', client_id: client.clientId, username: t.user.username, password: t.user.password })
      .expect(200);
    await nginx('GET', '/healthz', bearer(res.body.access_token)).expect(401);
    await nginx('GET', '/healthz', { 'x-api-key': t.apiKey.key }).expect(204);
  });

  it('refuses to start on a policy file with a bad entry, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ routes: [{ method: 'GET', path: '/ok', scopes: [] }, { method: 'GET', path: '/a/*/b', scopes: [] }] }));
    const started = await createTestApp({ ROUTE_POLICY_FILE: join(dir, 'bad.json') }).then(
      async (app) => {
        await app.close();
        return 'started';
      },
      (err: Error) => err.message,
    );
    expect(started).toContain('ROUTE_POLICY_FILE: routes[1].path: segment "*" must be a literal, a {param}, or * at the end');
  });
});
