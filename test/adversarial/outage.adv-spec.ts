import { performance } from 'node:perf_hooks';
import { createTenant, type TenantFixture } from '../support/fixtures';
import type { TestApp } from '../support/test-app';
import { runLoad, sleep } from './support/load';
import { proxiedDatabase, type ProxiedApp } from '../support/proxied-app';

const UNAVAILABLE = { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again later.' };

/**
 * The database goes away for 10 s while clients refresh, log in and call /verify (every
 * connection cut at the proxy, new ones refused; the shared Postgres server keeps running).
 * Every answer comes within 2 s: 503 temporarily_unavailable with Retry-After where the
 * database is needed, /verify from its cache; the service recovers without a restart, and no
 * refresh token is consumed by a request that failed: each client's last token still works.
 */
describe('the database gone for 10 s under load', () => {
  let env: ProxiedApp;
  let sut: TestApp;

  beforeAll(async () => {
    env = await proxiedDatabase();
    sut = await env.start({
      DATABASE_POOL_SIZE: '4',
      THROTTLE_PER_IP: '1000000/60s',
      THROTTLE_PER_SUBJECT: '1000000/60s',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_ITERATIONS: '1',
    });
  });

  afterAll(async () => {
    await env.close();
  });

  it('answers 503 with Retry-After within 2 s, recovers by itself, and loses no refresh token', async () => {
    const t: TenantFixture = await createTenant(sut);
    const login = () =>
      sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password });
    const refresh = (rt: string) => sut.http().post('/token').type('form').send({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: rt });
    const holders: string[] = [];
    for (let i = 0; i < 6; i++) holders.push((await login().expect(200)).body.refresh_token);
    const jwt = (await login().expect(200)).body.access_token as string;

    // Workers 0-5 each refresh their own chain, keeping the old token on any failure, as a
    // client does; worker 6 logs in; worker 7 asks /verify.
    const load = runLoad(8, async (worker, sample) => {
      const started = performance.now();
      if (worker < holders.length) {
        const res = await refresh(holders[worker]);
        if (res.status === 200) holders[worker] = res.body.refresh_token;
        sample({ what: 'refresh', status: res.status, body: res.body, retryAfter: res.headers['retry-after'] ?? null }, started);
      } else if (worker === holders.length) {
        const res = await login();
        sample({ what: 'login', status: res.status, body: res.body, retryAfter: res.headers['retry-after'] ?? null }, started);
      } else {
        const res = await sut.http().get('/verify').set({ authorization: `Bearer ${jwt}`, 'x-original-method': 'GET', 'x-original-uri': '/v1/models' });
        sample({ what: 'verify', status: res.status, body: res.body, retryAfter: res.headers['retry-after'] ?? null }, started);
      }
    });
    await sleep(1000);
    const cutAt = Date.now();
    env.proxy.cut();
    await sleep(10_000);
    env.proxy.restore();
    const restoredAt = Date.now();
    // Recovery without a restart: within a few seconds every worker is served again.
    const recovered = async () => {
      const since = load.samples.filter((s) => s.at > restoredAt + 500);
      return ['refresh', 'login'].every((what) => since.some((s) => s.what === what && s.status === 200));
    };
    const deadline = Date.now() + 15_000;
    while (!(await recovered()) && Date.now() < deadline) await sleep(200);
    await sleep(1000);
    await load.stop();

    const during = load.samples.filter((s) => s.at > cutAt + 100 && s.at < restoredAt);
    expect(during.filter((s) => s.status === 503).length).toBeGreaterThan(10);
    const wrong = load.samples.filter((s) => ![200, 204, 503].includes(s.status) || s.ms > 2000 || (s.status === 503 && (s.retryAfter === null || JSON.stringify(s.body) !== JSON.stringify(UNAVAILABLE))));
    expect(wrong.slice(0, 5)).toEqual([]);
    // /verify kept answering from its cache throughout.
    expect(during.filter((s) => s.what === 'verify').every((s) => s.status === 204)).toBe(true);
    expect(await recovered()).toBe(true);
    await sut.http().get('/health/ready').expect(200);
    // No refresh token was consumed by a request that failed: every chain goes on.
    for (const rt of holders) await refresh(rt).expect(200);
  });
});
