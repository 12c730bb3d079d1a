import { createTestApp, type TestApp } from './support/test-app';

/** Contract 3: CORS from an allowlist, helmet's headers, and a request id on every response. */
describe('HTTP hardening', () => {
  let sut: TestApp;
  const allowed = 'https://console.example.com';

  beforeAll(async () => {
    sut = await createTestApp({ CORS_ORIGINS: `${allowed}, https://other.example.com` });
  });

  afterAll(async () => {
    await sut.close();
  });

  describe('CORS', () => {
    it('answers a listed origin with itself and credentials, never "*", and varies on Origin', async () => {
      const res = await sut.http().get('/.well-known/oauth-authorization-server').set('origin', allowed).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(allowed);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers.vary).toMatch(/Origin/i);
    });

    it('sends nothing to an origin that is not listed, on the OAuth, verify and admin routes', async () => {
      for (const path of ['/.well-known/jwks.json', '/verify', '/admin/tenants']) {
        const res = await sut.http().get(path).set('origin', 'https://evil.example.com');
        expect({ path, acao: res.headers['access-control-allow-origin'], acac: res.headers['access-control-allow-credentials'] }).toEqual({ path, acao: undefined, acac: undefined });
      }
    });

    it('answers a preflight of a listed origin, and refuses one of another', async () => {
      const ok = await sut
        .http()
        .options('/token')
        .set({ origin: allowed, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' })
        .expect(204);
      expect(ok.headers['access-control-allow-origin']).toBe(allowed);
      expect(ok.headers['access-control-allow-methods']).toMatch(/POST/);
      const refused = await sut.http().options('/token').set({ origin: 'https://evil.example.com', 'access-control-request-method': 'POST' });
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('security headers', () => {
    const expectHardened = (headers: Record<string, string>, csp: RegExp) => {
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(headers['referrer-policy']).toBe('no-referrer');
      expect(headers['content-security-policy']).toMatch(csp);
      expect(headers['x-powered-by']).toBeUndefined();
    };

    it('are on a token answer, an error answer and /docs (whose CSP lets Swagger UI load its own files only)', async () => {
      const token = await sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: 'admin-cli', username: 'admin', password: 'test-admin-password-1' }).expect(200);
      expectHardened(token.headers, /^default-src 'none'; frame-ancestors 'none'/);
      const error = await sut.http().post('/token').type('form').send({ grant_type: 'nope' }).expect(400);
      expectHardened(error.headers, /^default-src 'none'/);
      const docs = await sut.http().get('/docs').redirects(1).expect(200);
      expectHardened(docs.headers, /script-src 'self'; style-src 'self' 'unsafe-inline'/);
      expect(docs.headers['content-security-policy']).not.toMatch(/script-src[^;]*unsafe/);
    });

    it('leave HSTS out while the issuer is plain http', async () => {
      const res = await sut.http().get('/health/live').expect(200);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });

    it('add HSTS when the issuer is https', async () => {
      const tls = await createTestApp({ ISSUER: 'https://auth.example.com' });
      try {
        const res = await tls.http().get('/health/live').expect(200);
        expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
      } finally {
        await tls.close();
      }
    });
  });

  describe('X-Request-Id', () => {
    it('echoes a sane id, generates one when absent, and replaces an insane one', async () => {
      expect((await sut.http().get('/health/live').set('x-request-id', 'abc-123.def:9')).headers['x-request-id']).toBe('abc-123.def:9');
      const generated = (await sut.http().get('/health/live')).headers['x-request-id'];
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      for (const insane of ['x'.repeat(129), 'a b', 'line\tbreak', '<script>', 'ü']) {
        const id = (await sut.http().get('/health/live').set('x-request-id', insane)).headers['x-request-id'];
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
      }
      // On errors too, and on the plain Fastify routes.
      expect((await sut.http().get('/nope').set('x-request-id', 'req-1')).headers['x-request-id']).toBe('req-1');
      expect((await sut.http().get('/verify').set('x-request-id', 'req-2')).headers['x-request-id']).toBe('req-2');
    });
  });
});
