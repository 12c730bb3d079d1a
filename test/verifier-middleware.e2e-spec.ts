import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { fastifyVerifier, type TesseraVerifier } from '../packages/verifier/src';
import { ApiKeysService } from '../src/api-keys/api-keys.service';
import { TenantsService } from '../src/tenants/tenants.service';
import { bearer, platformToken } from './support/admin';
import { createTenant, type TenantFixture } from './support/fixtures';
import { createTestApp, freePort, type TestApp } from './support/test-app';

const POLL_MS = 500;
/** Beyond one poll interval: the poll's own round trip and this shared 2-core machine. */
const MARGIN_MS = 1000;
const COOLDOWN_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Contract 2.7: @tessera/verifier in front of a model server, against the real service. */
describe('@tessera/verifier against Tessera', () => {
  let sut: TestApp;
  let running = true;
  let base: string;
  let platform: string;
  let server: FastifyInstance;
  let verifier: TesseraVerifier;
  let jwksFetches = 0;
  /** The reason of the latest refusal, as the verifier reports it to onEvent. */
  let lastRefusal = '';

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    sut = await createTestApp({ ISSUER: base, THROTTLE_PER_SUBJECT: '1000/60s', THROTTLE_PER_IP: '10000/60s' });
    await sut.app.listen({ port, host: '127.0.0.1' });
    platform = await platformToken(sut);
    // A system-tenant key sees every tenant's entries, as a shared model server's verifier must.
    const system = await sut.app.get(TenantsService).findBySlug('system');
    const { apiKey, key } = await sut.app.get(ApiKeysService).create({ tenantId: system!.id, name: 'middleware', scopes: ['revocations:read'] });
    const plugin = fastifyVerifier({
      issuer: base,
      revocations: { clientId: apiKey.id, clientSecret: key },
      pollIntervalMs: POLL_MS,
      jwksCooldownMs: COOLDOWN_MS,
      onEvent: (e) => {
        if (e.type === 'refused') lastRefusal = e.detail;
      },
      fetch: (url, init) => {
        if (url.endsWith('/.well-known/jwks.json')) jwksFetches++;
        return fetch(url, init);
      },
    });
    verifier = plugin.verifier;
    server = Fastify();
    await server.register(plugin);
    server.post('/v1/chat/completions', async (request) => ({ sub: request.tessera?.claims.sub }));
    await server.ready();
    await verifier.ready();
  });

  afterAll(async () => {
    await server.close();
    if (running) await sut.close();
  });

  const login = async (f: TenantFixture) => {
    const res = await sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: f.publicClientId, username: f.user.username, password: f.user.password });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.access_token as string;
  };
  const chat = async (token: string, model = 'any-model') => {
    const res = await server.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${token}` }, payload: { model } });
    return { status: res.statusCode, challenge: res.headers['www-authenticate'] };
  };

  /**
   * Accepted before `change`, refused after it within one poll and the margin. Not-before
   * instants are whole seconds and strict, so the change waits for the second after the token's iat.
   */
  async function refusedAfter(token: string, change: () => Promise<unknown>): Promise<void> {
    expect(await chat(token)).toEqual({ status: 200, challenge: undefined });
    const { iat } = decodeJwt(token);
    await sleep(Math.max(0, (iat! + 1) * 1000 - Date.now() + 10));
    await change();
    const changed = Date.now();
    for (;;) {
      const res = await chat(token);
      if (res.status !== 200) {
        expect(res).toEqual({ status: 401, challenge: 'Bearer error="invalid_token"' });
        return;
      }
      if (Date.now() - changed > POLL_MS + MARGIN_MS) throw new Error('still accepted after a poll interval');
      await sleep(20);
    }
  }

  describe('refuses within one poll interval, while the JWT is unexpired', () => {
    it('a token revoked at POST /revoke', async () => {
      const t = await createTenant(sut);
      const token = await login(t);
      await refusedAfter(token, () => sut.http().post('/revoke').type('form').send({ token, client_id: t.publicClientId }).expect(200));
      expect(lastRefusal).toBe('jti revoked');
    });

    it('a disabled user’s token', async () => {
      const t = await createTenant(sut);
      const token = await login(t);
      await refusedAfter(token, () => sut.http().patch(`/admin/tenants/${t.tenantId}/users/${t.user.id}`).set(bearer(platform)).send({ disabled: true }).expect(200));
    });

    it('a suspended tenant’s token', async () => {
      const t = await createTenant(sut);
      const token = await login(t);
      await refusedAfter(token, () => sut.http().patch(`/admin/tenants/${t.tenantId}`).set(bearer(platform)).send({ status: 'suspended' }).expect(200));
    });

    it('a token of a user logged out everywhere', async () => {
      const t = await createTenant(sut);
      const token = await login(t);
      const other = await createTenant(sut);
      const bystander = await login(other);
      await refusedAfter(token, () => sut.http().delete(`/admin/tenants/${t.tenantId}/users/${t.user.id}/sessions`).set(bearer(platform)).expect(200));
      expect((await chat(bystander)).status).toBe(200);
    });
  });

  it('holds a token with model: scopes to its models in the JSON body; one without is not restricted', async () => {
    const t = await createTenant(sut, { userScopes: ['chat:completions', 'model:qwen3'] });
    await sut.dataSource.query(`UPDATE tenants SET scopes = scopes || '{model:qwen3}'::text[] WHERE id = $1`, [t.tenantId]);
    await sut.dataSource.query(`UPDATE clients SET scopes = scopes || '{model:qwen3}'::text[] WHERE tenant_id = $1`, [t.tenantId]);
    const restricted = await login(t);
    expect(decodeJwt(restricted).scope).toContain('model:qwen3');
    expect(await chat(restricted, 'qwen3')).toEqual({ status: 200, challenge: undefined });
    expect(await chat(restricted, 'llama-3')).toEqual({ status: 403, challenge: 'Bearer error="insufficient_scope", scope="model:llama-3"' });
    const free = await login(await createTenant(sut));
    expect((await chat(free, 'llama-3')).status).toBe(200);
  });

  it('picks up a rotation from the JWKS it cached before, refetching only for a kid it never saw', async () => {
    const t = await createTenant(sut);
    const before = jwksFetches;
    await sut.http().post('/admin/keys/rotate').set(bearer(platform)).expect(200);
    // The new current key was published as `next` beside the old one: already in the cache.
    expect((await chat(await login(t))).status).toBe(200);
    expect(jwksFetches).toBe(before);
    await sleep(COOLDOWN_MS);
    platform = await platformToken(sut);
    await sut.http().post('/admin/keys/rotate').set(bearer(platform)).expect(200);
    expect((await chat(await login(t))).status).toBe(200);
    expect(jwksFetches).toBe(before + 1);
    platform = await platformToken(sut);
  });

  it('fetches the JWKS at most once per cooldown under a flood of random kids', async () => {
    const payload = Buffer.from(JSON.stringify({ iss: base, aud: base, sub: 'x', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    const forged = () => `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: randomUUID() })).toString('base64url')}.${payload}.c2ln`;
    await sleep(COOLDOWN_MS);
    const before = jwksFetches;
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 2.5 * COOLDOWN_MS && sent < 5000) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => chat(forged())));
      expect(batch.every((r) => r.status === 401)).toBe(true);
      sent += batch.length;
    }
    const windows = Math.ceil((Date.now() - started) / COOLDOWN_MS);
    expect(sent).toBeGreaterThan(100);
    expect(jwksFetches - before).toBeGreaterThanOrEqual(1);
    expect(jwksFetches - before).toBeLessThanOrEqual(windows);
  });

  it('refuses the tokens of a revoked signing key within one poll interval', async () => {
    const t = await createTenant(sut);
    const token = await login(t);
    const { kid } = decodeProtectedHeader(token);
    await refusedAfter(token, () => sut.http().post(`/admin/keys/${kid}/revoke`).set(bearer(platform)).expect(200));
    // By the feed: the JWKS this verifier cached still holds the key.
    expect(lastRefusal).toBe('signing key revoked');
    platform = await platformToken(sut);
  });

  it('keeps verifying with its last JWKS and feed once the service is gone', async () => {
    const t = await createTenant(sut);
    const live = await login(t);
    const revoked = await login(t);
    await sut.http().post('/revoke').type('form').send({ token: revoked, client_id: t.publicClientId }).expect(200);
    await sleep(POLL_MS + MARGIN_MS);
    expect((await chat(revoked)).status).toBe(401);
    running = false;
    await sut.close();
    await sleep(POLL_MS * 2);
    expect(verifier.status().lastError).toMatch(/^feed: /);
    expect(await chat(live)).toEqual({ status: 200, challenge: undefined });
    expect((await chat(revoked)).status).toBe(401);
    expect(verifier.status().feedAgeMs).toBeGreaterThanOrEqual(POLL_MS);
  });
});
