import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Logger } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy';
import { Clock } from '../common/clock';
import { loadConfig } from '../config/config';
import { DENY_RETRY_AFTER, QuotaService } from './quota.service';
import type { TenantQuota } from './quota-windows';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) console.warn('SKIPPED QuotaService on a real Redis: TEST_REDIS_URL is unset (e.g. TEST_REDIS_URL=redis://127.0.0.1:6379)');
const describeWithRedis = redisUrl ? describe : describe.skip;

class StillClock extends Clock {
  constructor(private readonly at = Date.parse('2026-01-01T00:00:10Z')) {
    super();
  }
  override now(): Date {
    return new Date(this.at);
  }
}

const WITH_HTTP = { httpAdapter: {} } as HttpAdapterHost;
const PER_MINUTE_3: TenantQuota = { perSubjectPerMinute: 3, perSubjectPerDay: null, perTenantPerMinute: null };
// A tenant id of its own per run: its keys in a shared Redis are this run's alone.
const tenant = () => `test-${randomBytes(6).toString('hex')}`;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function started(env: Record<string, string>): Promise<QuotaService> {
  const sut = new QuotaService(loadConfig(env), new StillClock(), WITH_HTTP);
  await sut.onApplicationBootstrap();
  return sut;
}

const statuses = async (sut: QuotaService, tenantId: string, n: number, sub = 'alice') => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = await sut.check(tenantId, sub, PER_MINUTE_3);
    out.push(v.ok ? `ok ${v.state.remaining}` : `refused ${v.retryAfter}`);
  }
  return out;
};

describe(QuotaService.name, () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;
  const services: QuotaService[] = [];

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    for (const s of services.splice(0)) await s.onApplicationShutdown();
    jest.restoreAllMocks();
  });

  const quotaLines = (spy: jest.SpyInstance) => spy.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith('quota store'));

  it('counts in the process without REDIS_URL, and is never degraded', async () => {
    const sut = await started({});
    services.push(sut);
    // 00:00:10 of a minute: 50 s until it resets.
    expect(await statuses(sut, tenant(), 4)).toEqual(['ok 2', 'ok 1', 'ok 0', 'refused 50']);
    expect(sut.degraded).toBe(false);
    expect(quotaLines(warn)).toEqual([]);
  });

  it('remembers the latest refusals of each tenant, newest first, with the limit that was reached', async () => {
    const sut = await started({});
    services.push(sut);
    const [t, other] = [tenant(), tenant()];
    await statuses(sut, t, 4);
    await statuses(sut, t, 4, 'bob');
    const recent = sut.recentRefusals(t);
    expect(recent.map((r) => [r.subject, r.window, r.limit, r.retryAfter])).toEqual([
      ['bob', 'perSubjectPerMinute', 3, 50],
      ['alice', 'perSubjectPerMinute', 3, 50],
    ]);
    expect(recent[0].at).toBeInstanceOf(Date);
    expect(sut.recentRefusals(other)).toEqual([]);
    const deny = await started({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, QUOTA_STORE_FAILURE: 'deny' });
    services.push(deny);
    await deny.check(other, 'carol', { perSubjectPerMinute: 30, perSubjectPerDay: null, perTenantPerMinute: 10 });
    expect(deny.recentRefusals(other).map((r) => [r.subject, r.window, r.limit])).toEqual([['carol', 'store', 10]]);
  });

  it('with QUOTA_STORE_FAILURE=local, counts in the process while Redis is unreachable, and says so once', async () => {
    const sut = await started({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    services.push(sut);
    expect(sut.degraded).toBe(true);
    const t = tenant();
    expect(await statuses(sut, t, 4)).toEqual(['ok 2', 'ok 1', 'ok 0', 'refused 50']);
    expect(await statuses(sut, t, 1, 'bob')).toEqual(['ok 2']);
    expect(quotaLines(warn)).toEqual([expect.stringMatching(/Redis unreachable .*counting quotas in this process .*QUOTA_STORE_FAILURE=local/)]);
  });

  it('with QUOTA_STORE_FAILURE=deny, refuses with a Retry-After while Redis is unreachable', async () => {
    const sut = await started({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, QUOTA_STORE_FAILURE: 'deny' });
    services.push(sut);
    const verdict = await sut.check(tenant(), 'alice', { perSubjectPerMinute: 30, perSubjectPerDay: 1000, perTenantPerMinute: 10 });
    expect(verdict).toEqual({ ok: false, state: { limit: 10, remaining: 0 }, retryAfter: DENY_RETRY_AFTER, detail: expect.stringMatching(/deny/) });
    expect(quotaLines(warn)).toEqual([expect.stringMatching(/refusing .*QUOTA_STORE_FAILURE=deny/)]);
  });

  it('opens no Redis connection without an HTTP server (the operator CLI)', async () => {
    const sut = new QuotaService(loadConfig({ REDIS_URL: 'redis://127.0.0.1:1' }), new StillClock(), {} as HttpAdapterHost);
    services.push(sut);
    await sut.onApplicationBootstrap();
    expect(quotaLines(warn)).toEqual([]);
  });

  describeWithRedis('on a real Redis', () => {
    let proxy: TcpProxy;

    beforeEach(async () => {
      const { hostname, port } = new URL(redisUrl!);
      proxy = await startTcpProxy({ host: hostname, port: Number(port || 6379) });
    });

    afterEach(async () => {
      await proxy.close();
    });

    it('shares counts between instances, counts locally while cut off, and says once that Redis is back', async () => {
      const env = { REDIS_URL: `redis://127.0.0.1:${proxy.port}` };
      const [a, b] = [await started(env), await started(env)];
      services.push(a, b);
      const t = tenant();
      expect([...(await statuses(a, t, 1)), ...(await statuses(b, t, 1)), ...(await statuses(a, t, 1)), ...(await statuses(b, t, 1))]).toEqual([
        'ok 2',
        'ok 1',
        'ok 0',
        'refused 50',
      ]);

      proxy.cut();
      const other = tenant();
      expect(await statuses(a, other, 4)).toEqual(['ok 2', 'ok 1', 'ok 0', 'refused 50']);
      expect(a.degraded).toBe(true);

      proxy.restore();
      const deadline = Date.now() + 10_000;
      while ((a.degraded || b.degraded) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect([a.degraded, b.degraded]).toEqual([false, false]);
      // Back on Redis: the count the instances share, which the outage did not touch.
      expect(await statuses(b, other, 1)).toEqual(['ok 2']);
      expect(quotaLines(warn)).toHaveLength(2);
      expect(quotaLines(log)).toEqual([expect.stringMatching(/Redis reachable again/), expect.stringMatching(/Redis reachable again/)]);
    });
  });
});
