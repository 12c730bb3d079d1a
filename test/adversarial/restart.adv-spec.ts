import { performance } from 'node:perf_hooks';
import { createTenant, type TenantFixture } from '../support/fixtures';
import { freePort, type TestApp } from '../support/test-app';
import { runLoad, sleep, type Sample } from './support/load';
import { proxiedDatabase, type ProxiedApp } from '../support/proxied-app';

/**
 * The service is stopped (SIGTERM's path: app.close()) and started again on the same port and
 * database while clients log in and refresh over real HTTP. Every access token issued before
 * the restart still verifies afterwards (keys survive, decrypted with the same KEK), every
 * client's last refresh token still refreshes, and no answer was a 5xx.
 */
describe('the service restarted during load', () => {
  let env: ProxiedApp;
  let port: number;

  beforeAll(async () => {
    env = await proxiedDatabase();
    port = await freePort();
  });

  afterAll(async () => {
    await env.close();
  });

  const overrides = { THROTTLE_PER_IP: '1000000/60s', THROTTLE_PER_SUBJECT: '1000000/60s', ARGON2_MEMORY_KIB: '8192', ARGON2_ITERATIONS: '1' };
  const startOnPort = async (): Promise<TestApp> => {
    const app = await env.start(overrides);
    await app.app.listen({ port, host: '127.0.0.1' });
    return app;
  };

  it('keeps every token issued before it', async () => {
    let sut = await startOnPort();
    const t: TenantFixture = await createTenant(sut);
    const base = `http://127.0.0.1:${port}`;
    const post = async (form: Record<string, string>) => {
      const res = await fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
      return { status: res.status, body: (await res.json()) as Record<string, string>, retryAfter: res.headers.get('retry-after') };
    };
    const login = () => post({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password });
    const holders: string[] = [];
    for (let i = 0; i < 4; i++) holders.push((await login()).body.refresh_token);
    const issued: string[] = [];

    const load = runLoad(5, async (worker, sample) => {
      const started = performance.now();
      try {
        const res = worker < holders.length ? await post({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: holders[worker] }) : await login();
        if (res.status === 200) {
          issued.push(res.body.access_token);
          if (worker < holders.length) holders[worker] = res.body.refresh_token;
        }
        sample({ what: worker < holders.length ? 'refresh' : 'login', status: res.status, body: res.body, retryAfter: res.retryAfter }, started);
      } catch (err) {
        // Connection refused while no instance listens: the client keeps its token and retries.
        sample({ what: 'refused', status: 0, body: String(err), retryAfter: null }, started);
      }
    });
    await sleep(1500);
    await sut.close();
    sut = await startOnPort();
    const restartedAt = Date.now();
    await sleep(1500);
    await load.stop();

    const before = issued.length;
    expect(before).toBeGreaterThan(10);
    // While it closes, a request is told to come back (contract 2.1's 503), never anything else.
    const unavailable = (s: Sample) => s.status === 503 && s.retryAfter !== null && (s.body as { error?: string }).error === 'temporarily_unavailable';
    expect(load.samples.filter((s) => s.status >= 500 && !unavailable(s)).slice(0, 5)).toEqual([]);
    expect(load.samples.filter((s) => s.status === 200 && s.at > restartedAt).length).toBeGreaterThan(0);
    // A refresh refused with invalid_grant would be a token lost to the restart.
    expect(load.samples.filter((s) => s.status === 400).slice(0, 5)).toEqual([]);
    for (const token of issued) {
      const res = await sut.http().get('/verify').set({ authorization: `Bearer ${token}`, 'x-original-method': 'GET', 'x-original-uri': '/v1/models' });
      // Rotated-away access tokens stay valid until they expire (RFC 9700 revokes on reuse, not on rotation).
      expect(res.status).toBe(204);
    }
    for (const rt of holders) expect((await post({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: rt })).status).toBe(200);
  });
});
