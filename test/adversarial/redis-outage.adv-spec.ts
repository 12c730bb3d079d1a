import { performance } from 'node:perf_hooks';
import { createTenant } from '../support/fixtures';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { startApp, testConfig, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

// Needs a Redis server: CI sets TEST_REDIS_URL. Only the proxy's connections are cut, never
// the shared Redis itself.
const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = redisUrl ? describe : describe.skip;

/**
 * Redis gone while REDIS_URL is set: the throttling of /token, /revoke and /introspect falls
 * back to counting in the process, answers stay 4xx (429 once over the limit) within 2 s and
 * never 5xx, and the shared counts resume when Redis is back.
 */
describeWithRedis('Redis gone with REDIS_URL set', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let sut: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(redisUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    target.host = `127.0.0.1:${proxy.port}`;
    sut = await startApp(testConfig(db, { REDIS_URL: target.toString(), THROTTLE_PER_IP: '6/60s', TRUST_PROXY: 'true' }));
  });

  afterAll(async () => {
    proxy.restore();
    await sut.close();
    await proxy.close();
    await db.drop();
  });

  it('throttles in the process meanwhile, never answering 5xx or hanging', async () => {
    const t = await createTenant(sut);
    // A client address of its own per run: the counts of a shared Redis outlive the test.
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}-${Date.now()}`;
    const attempt = async () => {
      const started = performance.now();
      const res = await sut
        .http()
        .post('/token')
        .set('x-forwarded-for', ip)
        .type('form')
        .send({ grant_type: 'password', client_id: t.publicClientId, username: 'nobody', password: 'wrong-password' });
      return { status: res.status, error: res.body.error, slow: performance.now() - started > 2000 };
    };
    const up = [await attempt(), await attempt()];
    expect(up.map((a) => a.status)).toEqual([400, 400]);

    proxy.cut();
    const down = [];
    for (let i = 0; i < 8; i++) down.push(await attempt());
    // Counted in the process from zero: six allowed, then 429 slow_down; nothing slow, nothing 5xx.
    expect(down.map((a) => a.status)).toEqual([400, 400, 400, 400, 400, 400, 429, 429]);
    expect(down.filter((a) => a.slow)).toEqual([]);
    expect(down[7].error).toBe('slow_down');

    proxy.restore();
    // Back on Redis, where this address has used two of its six.
    const deadline = Date.now() + 5000;
    let back = await attempt();
    while (back.status === 429 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      back = await attempt();
    }
    expect(back.status).toBe(400);
  });
});
