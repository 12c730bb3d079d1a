import { createTenant } from './support/fixtures';
import { RevocationCache } from '../src/verify/revocation-cache';
import { proxiedDatabase, type ProxiedApp } from './support/proxied-app';
import type { TcpProxy } from './support/tcp-proxy';
import { createTestApp, type TestApp } from './support/test-app';

const SLOW_DOWN = { error: 'slow_down', error_description: 'Too many requests; try again later.' };

describe('POST /token under abuse', () => {
  let sut: TestApp;

  afterEach(async () => {
    await sut.close();
  });

  it('answers 429 slow_down with Retry-After once a client IP exceeds THROTTLE_PER_IP', async () => {
    sut = await createTestApp({ THROTTLE_PER_IP: '5/60s', THROTTLE_PER_SUBJECT: '100/60s' });
    const t = await createTenant(sut);
    const attempt = () =>
      sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: t.publicClientId, username: 'x', password: 'y' });
    for (let i = 0; i < 5; i++) {
      const counted = await attempt();
      expect([counted.status, counted.headers['x-ratelimit-limit-ip'], counted.headers['x-ratelimit-remaining-ip']]).toEqual([400, '5', String(4 - i)]);
    }
    const res = await attempt();
    expect(res.status).toBe(429);
    expect(res.body).toEqual(SLOW_DOWN);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('throttles guesses at one username across addresses (THROTTLE_PER_SUBJECT)', async () => {
    sut = await createTestApp({ TRUST_PROXY: 'true', THROTTLE_PER_IP: '100/60s', THROTTLE_PER_SUBJECT: '3/60s' });
    const t = await createTenant(sut);
    const attempt = (ip: string, username: string) =>
      sut
        .http()
        .post('/token')
        .set('x-forwarded-for', ip)
        .type('form')
        .send({ grant_type: 'password', client_id: t.publicClientId, username, password: 'wrong-password' });
    for (let i = 0; i < 3; i++) expect((await attempt(`203.0.113.${i}`, 'Alice')).status).toBe(400);
    expect((await attempt('203.0.113.99', 'alice')).body).toEqual(SLOW_DOWN);
    // Another account from the same addresses is not affected.
    expect((await attempt('203.0.113.1', 'bob')).status).toBe(400);
  });
});

describe('POST /token while the database is unreachable', () => {
  let proxied: ProxiedApp;
  let proxy: TcpProxy;
  let sut: TestApp;

  beforeAll(async () => {
    proxied = await proxiedDatabase();
    proxy = proxied.proxy;
    sut = await proxied.start({ DATABASE_POOL_SIZE: '2' });
  });

  afterAll(async () => {
    await proxied.close();
  });

  it('answers 503 temporarily_unavailable with Retry-After, then recovers by itself', async () => {
    const t = await createTenant(sut);
    const login = () =>
      sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password });
    await login().expect(200);

    proxy.cut();
    const down = await login();
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again later.' });
    expect(Number(down.headers['retry-after'])).toBeGreaterThan(0);
    expect(down.headers['cache-control']).toBe('no-store');
    await sut.http().get('/health/ready').expect(503);
    // Public routes that need no query keep working.
    await sut.http().get('/.well-known/jwks.json').expect(200);

    proxy.restore();
    await login().expect(200);
    await sut.http().get('/health/ready').expect(200);
  });

  it('keeps /verify answering from its cache meanwhile, and catches up when the database is back', async () => {
    const t = await createTenant(sut);
    const session = await sut
      .http()
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password })
      .expect(200);
    const verify = (credential: Record<string, string>, extra: Record<string, string> = {}) =>
      sut.http().get('/verify').set({ 'x-original-method': 'GET', 'x-original-uri': '/v1/models', ...credential, ...extra });
    const jwt = { authorization: `Bearer ${session.body.access_token}` };
    await verify(jwt).expect(204);

    proxy.cut();
    await expect(sut.app.get(RevocationCache).refresh()).rejects.toBeDefined();
    await verify(jwt).expect(204);
    // A credential it has never seen cannot be judged without the database: 503, or through
    // nginx's redirect header a 403 naming it.
    const unseen = await verify({ 'x-api-key': t.apiKey.key }).expect(503);
    expect(unseen.headers['retry-after']).toBe('5');
    const redirected = await verify({ 'x-api-key': t.apiKey.key }, { 'x-auth-request-redirect-status': '403' }).expect(403);
    expect(redirected.headers['x-auth-status']).toBe('503');

    proxy.restore();
    await sut.http().post('/revoke').type('form').send({ token: session.body.access_token, client_id: t.publicClientId }).expect(200);
    await sut.app.get(RevocationCache).refresh();
    await verify(jwt).expect(401);
    await verify({ 'x-api-key': t.apiKey.key }).expect(204);
  });
});
