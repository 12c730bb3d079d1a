import { Logger } from '@nestjs/common';
import type { Response } from 'supertest';
import { RevocationCache } from '../src/verify/revocation-cache';
import { bearer, createUserViaApi, login, platformToken } from './support/admin';
import { FakeClock } from './support/fake-clock';
import { createTenant, type TenantFixture } from './support/fixtures';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { createTestApp, startApp, testConfig, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

// The Redis half needs a Redis server: CI sets TEST_REDIS_URL (the machine's local one). Its keys
// hold each run's own tenant ids, so runs sharing that Redis never count together.
const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) console.warn('SKIPPED quotas on Redis (shared across instances, Redis cut off): TEST_REDIS_URL is unset (e.g. TEST_REDIS_URL=redis://127.0.0.1:6379)');
const describeWithRedis = redisUrl ? describe : describe.skip;

const LIMITS = { THROTTLE_PER_SUBJECT: '1000/60s', THROTTLE_PER_IP: '1000/60s' };
const REDIRECT = { 'x-auth-request-redirect-status': '403' };

const verify = (app: TestApp, credential: Record<string, string>, extra: Record<string, string> = {}, method = 'GET', uri = '/v1/models') =>
  app.http().get('/verify').set({ 'x-original-method': method, 'x-original-uri': uri, ...credential, ...extra });

/** Status and quota headers of one answer, as one comparable value. */
const seen = (res: Response) => [res.status, res.headers['x-ratelimit-limit'], res.headers['x-ratelimit-remaining'], res.headers['retry-after']];

/** A platform admin sets the quota through the admin API (a fresh token: tests move the clock by days). */
async function setQuota(apps: TestApp[], tenantId: string, quota: Record<string, number>): Promise<void> {
  await apps[0]
    .http()
    .patch(`/admin/tenants/${tenantId}`)
    .set(bearer(await platformToken(apps[0])))
    .send({ settings: { quota } })
    .expect(200);
  // The tenants trigger logs the change; each instance's cache takes it in at its next poll.
  for (const app of apps) await app.app.get(RevocationCache).refresh();
}

const userToken = (app: TestApp, t: TenantFixture) => login(app, t.publicClientId, t.user.username, t.user.password);

async function secondUser(app: TestApp, t: TenantFixture): Promise<string> {
  const user = await createUserViaApi(app, await platformToken(app), t.tenantId, ['models:list']);
  return login(app, t.publicClientId, user.username, user.password);
}

async function degradedGauge(app: TestApp): Promise<number> {
  const res = await app.http().get('/metrics').expect(200);
  return Number(/^tessera_quota_store_degraded (\d+)$/m.exec(res.text)![1]);
}

/** A fake clock at the start of the current minute: no window ends unless a test moves it. */
const clockAtMinute = () => new FakeClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));

/** Seconds until the clock's minute ends. */
const toMinuteEnd = (clock: FakeClock) => String(60 - (clock.nowSeconds() % 60));

describe('quotas at GET /verify (contract 2.7), counted in the process', () => {
  let app: TestApp;
  const clock = clockAtMinute();

  beforeAll(async () => {
    app = await createTestApp(LIMITS, { clock });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('counts per subject: 204 with X-RateLimit-Limit 3 and Remaining 2, 1, 0, then 429 with Retry-After; another user is unaffected', async () => {
    const t = await createTenant(app);
    await setQuota([app], t.tenantId, { perSubjectPerMinute: 3 });
    const [alice, bob] = [await userToken(app, t), await secondUser(app, t)];

    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await verify(app, bearer(alice)));
    expect(answers.map(seen)).toEqual([
      [204, '3', '2', undefined],
      [204, '3', '1', undefined],
      [204, '3', '0', undefined],
      [429, '3', '0', toMinuteEnd(clock)],
    ]);
    const refused = answers[3];
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(refused.body).toEqual({ error: 'rate_limited', error_description: expect.any(String) });
    expect(refused.headers['x-auth-subject']).toBeUndefined();

    expect(seen(await verify(app, bearer(bob)))).toEqual([204, '3', '2', undefined]);
    // An API key is a subject of its own too.
    expect(seen(await verify(app, { 'x-api-key': t.apiKey.key }))).toEqual([204, '3', '2', undefined]);
    expect(seen(await verify(app, bearer(alice)))[0]).toBe(429);
  });

  it('charges only allowed requests, and leaves a tenant without quotas on the plain answer', async () => {
    const t = await createTenant(app);
    await setQuota([app], t.tenantId, { perSubjectPerMinute: 2 });
    const listOnly = await secondUser(app, t);
    for (let i = 0; i < 3; i++) await verify(app, bearer(listOnly), {}, 'POST', '/v1/chat/completions').expect(403);
    expect(seen(await verify(app, bearer(listOnly)))).toEqual([204, '2', '1', undefined]);

    const free = await createTenant(app);
    const res = await verify(app, bearer(await userToken(app, free))).expect(204);
    expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
  });

  it('limits the sum over the tenant’s subjects with perTenantPerMinute; a refusal of one window counts in none', async () => {
    const t = await createTenant(app);
    await setQuota([app], t.tenantId, { perSubjectPerMinute: 3, perTenantPerMinute: 4 });
    const [alice, bob] = [await userToken(app, t), await secondUser(app, t)];
    const answers = [];
    for (const token of [alice, alice, alice, alice, bob, bob]) answers.push(seen(await verify(app, bearer(token))));
    // The headers name the most constrained window: the subject's until the tenant's has less left.
    expect(answers).toEqual([
      [204, '3', '2', undefined],
      [204, '3', '1', undefined],
      [204, '3', '0', undefined],
      [429, '3', '0', toMinuteEnd(clock)],
      // Alice's refused fourth did not count for the tenant: Bob gets its last one.
      [204, '4', '0', undefined],
      [429, '4', '0', toMinuteEnd(clock)],
    ]);
    expect(seen(await verify(app, { 'x-api-key': t.apiKey.key }))).toEqual([429, '4', '0', toMinuteEnd(clock)]);
  });

  it('starts a new count with the next minute, and the per-day count with the next UTC day', async () => {
    const t = await createTenant(app);
    await setQuota([app], t.tenantId, { perSubjectPerMinute: 2 });
    let alice = await userToken(app, t);
    await verify(app, bearer(alice)).expect(204);
    await verify(app, bearer(alice)).expect(204);
    const refused = await verify(app, bearer(alice)).expect(429);
    clock.advance(Number(refused.headers['retry-after']) - 1);
    await verify(app, bearer(alice)).expect(429);
    clock.advance(1);
    expect(seen(await verify(app, bearer(alice)))).toEqual([204, '2', '1', undefined]);

    const day = await createTenant(app);
    await setQuota([app], day.tenantId, { perSubjectPerMinute: 10, perSubjectPerDay: 2 });
    alice = await userToken(app, day);
    expect(seen(await verify(app, bearer(alice)))).toEqual([204, '2', '1', undefined]);
    await verify(app, bearer(alice)).expect(204);
    const untilMidnight = 86400 - (clock.nowSeconds() % 86400);
    expect(seen(await verify(app, bearer(alice)))).toEqual([429, '2', '0', String(untilMidnight)]);
    clock.advance(120);
    expect(seen(await verify(app, bearer(alice)))).toEqual([429, '2', '0', String(untilMidnight - 120)]);
    clock.advance(untilMidnight - 120);
    // A new UTC day (and a new token: the old one expired meanwhile).
    alice = await userToken(app, day);
    expect(seen(await verify(app, bearer(alice)))).toEqual([204, '2', '1', undefined]);
  });

  it('answers an over-quota caller 403 with X-Auth-Status: 429 and the same headers when nginx asks (X-Auth-Request-Redirect-Status: 403)', async () => {
    const t = await createTenant(app);
    await setQuota([app], t.tenantId, { perSubjectPerMinute: 1 });
    const alice = await userToken(app, t);
    const allowed = await verify(app, bearer(alice), REDIRECT).expect(204);
    expect(allowed.headers['x-auth-status']).toBeUndefined();
    const res = await verify(app, bearer(alice), REDIRECT);
    expect(seen(res)).toEqual([403, '1', '0', toMinuteEnd(clock)]);
    expect(res.headers['x-auth-status']).toBe('429');
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body).toEqual({ error: 'rate_limited', error_description: expect.any(String) });
    // The Envoy form counts too, and answers 429 itself.
    const envoy = await app.http().get('/verify/v1/models').set(bearer(alice));
    expect(seen(envoy)).toEqual([429, '1', '0', toMinuteEnd(clock)]);

    const metrics = (await app.http().get('/metrics').expect(200)).text;
    expect(Number(/^tessera_verify_decisions_total\{outcome="rate_limited"\} (\d+)$/m.exec(metrics)![1])).toBeGreaterThanOrEqual(2);
    expect(await degradedGauge(app)).toBe(0);
  });
});

describeWithRedis('quotas at GET /verify on Redis (REDIS_URL), across instances', () => {
  let db: TestDatabase;
  // Test-controlled proxies in front of the shared Redis: cutting one cuts Redis off from the
  // instances behind it (the Redis server itself is never touched).
  let localProxy: TcpProxy;
  let denyProxy: TcpProxy;
  let a: TestApp;
  let b: TestApp;
  let deny: TestApp;
  const clock = clockAtMinute();

  beforeAll(async () => {
    const { hostname, port } = new URL(redisUrl!);
    const target = { host: hostname, port: Number(port || 6379) };
    [localProxy, denyProxy] = [await startTcpProxy(target), await startTcpProxy(target)];
    db = await createTestDatabase();
    const local = testConfig(db, { ...LIMITS, REDIS_URL: `redis://127.0.0.1:${localProxy.port}` });
    a = await startApp(local, { clock });
    b = await startApp(local, { clock });
    deny = await startApp(testConfig(db, { ...LIMITS, REDIS_URL: `redis://127.0.0.1:${denyProxy.port}`, QUOTA_STORE_FAILURE: 'deny' }), { clock });
  });

  afterAll(async () => {
    for (const app of [deny, b, a]) await app?.close();
    await db?.drop();
    await localProxy?.close();
    await denyProxy?.close();
  });

  it('shares one count between two instances', async () => {
    const t = await createTenant(a);
    await setQuota([a, b], t.tenantId, { perSubjectPerMinute: 3 });
    const alice = await userToken(a, t);
    const answers = [];
    for (const app of [a, b, a, b, a]) answers.push(seen(await verify(app, bearer(alice))));
    expect(answers).toEqual([
      [204, '3', '2', undefined],
      [204, '3', '1', undefined],
      [204, '3', '0', undefined],
      [429, '3', '0', toMinuteEnd(clock)],
      [429, '3', '0', toMinuteEnd(clock)],
    ]);
  });

  it('with Redis cut off: local keeps serving and counts in the process, deny refuses with 429; never a 5xx; both catch up when it is back', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const log = jest.spyOn(Logger.prototype, 'log');
    const quotaLines = (spy: jest.SpyInstance) => spy.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith('quota store'));
    try {
      const t = await createTenant(a);
      await setQuota([a, b, deny], t.tenantId, { perSubjectPerMinute: 3 });
      const free = await createTenant(a);
      const [alice, bob, other] = [await userToken(a, t), await secondUser(a, t), await userToken(a, free)];
      expect(seen(await verify(a, bearer(alice)))).toEqual([204, '3', '2', undefined]);
      expect(seen(await verify(deny, bearer(bob)))).toEqual([204, '3', '2', undefined]);

      localProxy.cut();
      denyProxy.cut();
      const local = [];
      for (let i = 0; i < 4; i++) local.push(seen(await verify(a, bearer(alice))));
      // Counted from zero in the process: Redis's 1 is out of reach.
      expect(local).toEqual([
        [204, '3', '2', undefined],
        [204, '3', '1', undefined],
        [204, '3', '0', undefined],
        [429, '3', '0', toMinuteEnd(clock)],
      ]);
      expect(await degradedGauge(a)).toBe(1);

      expect(seen(await verify(deny, bearer(bob)))).toEqual([429, '3', '0', '5']);
      const redirected = await verify(deny, bearer(bob), REDIRECT);
      expect([redirected.status, redirected.headers['x-auth-status'], redirected.headers['retry-after']]).toEqual([403, '429', '5']);
      // A tenant without quotas never asks Redis.
      await verify(deny, bearer(other)).expect(204);
      expect(await degradedGauge(deny)).toBe(1);
      // a and b (b lost its connection too, though it was not asked meanwhile).
      expect(quotaLines(warn).filter((m) => /counting quotas in this process/.test(m))).toHaveLength(2);
      expect(quotaLines(warn).filter((m) => /refusing/.test(m))).toHaveLength(1);

      localProxy.restore();
      denyProxy.restore();
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && ((await degradedGauge(a)) || (await degradedGauge(b)) || (await degradedGauge(deny)))) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect([await degradedGauge(a), await degradedGauge(b), await degradedGauge(deny)]).toEqual([0, 0, 0]);
      // Back on Redis's counts, which the outage did not touch.
      expect(seen(await verify(b, bearer(alice)))).toEqual([204, '3', '1', undefined]);
      expect(seen(await verify(deny, bearer(bob)))).toEqual([204, '3', '1', undefined]);
      // Once each way per instance (a, b and deny).
      expect(quotaLines(warn)).toHaveLength(3);
      expect(quotaLines(log).filter((m) => /reachable again/.test(m))).toHaveLength(3);
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });
});
