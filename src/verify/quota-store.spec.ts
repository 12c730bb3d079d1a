import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import Redis from 'ioredis';
import { RedisQuotaStore } from './quota-redis-store';
import { LocalQuotaStore, type QuotaStore } from './quota-store';
import type { QuotaWindow } from './quota-windows';

// The Redis store runs against a real Redis: CI sets TEST_REDIS_URL (the machine's local one).
const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) console.warn('SKIPPED the Redis quota store specs: TEST_REDIS_URL is unset (e.g. TEST_REDIS_URL=redis://127.0.0.1:6379)');
const describeWithRedis = redisUrl ? describe : describe.skip;

// Every key of this run under its own prefix, so runs on a shared Redis never meet.
const PREFIX = `tessera-test:quota-store:${randomBytes(6).toString('hex')}:`;
let serial = 0;
const window = (limit: number, ttlMs = 60_000): QuotaWindow => ({ name: 'perSubjectPerMinute', key: `${PREFIX}${++serial}`, limit, ttlMs });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Harness {
  store: QuotaStore;
  /** Lets time pass: the local store's clock, Redis's own for the Redis store. */
  elapse(ms: number): Promise<void>;
}

function localHarness(): Harness {
  let now = Date.parse('2026-01-01T00:00:00Z');
  return { store: new LocalQuotaStore(() => now), elapse: async (ms) => void (now += ms) };
}

let redisStore: RedisQuotaStore | undefined;
const harnesses: [string, () => Harness][] = [['the in-process store', localHarness]];
if (redisUrl) harnesses.push(['the Redis store', () => ({ store: redisStore!, elapse: async (ms) => void (await sleep(ms)) })]);

beforeAll(async () => {
  if (!redisUrl) return;
  redisStore = new RedisQuotaStore(redisUrl);
  expect(await redisStore.connect()).toBe(true);
});

afterAll(async () => {
  if (!redisStore) return;
  const keys = await redisStore.client.keys(`${PREFIX}*`);
  if (keys.length) await redisStore.client.del(...keys);
  await redisStore.close();
});

describe.each(harnesses)('%s', (_name, harness) => {
  let h: Harness;
  beforeEach(() => (h = harness()));

  it('counts in every window, or, when one has no room, in none', async () => {
    const [minute, hour] = [window(2), window(5, 3_600_000)];
    expect(await h.store.reserve([minute, hour], 1)).toMatchObject({ ok: true, counts: [1, 1] });
    expect(await h.store.reserve([minute, hour], 1)).toMatchObject({ ok: true, counts: [2, 2] });
    const refused = await h.store.reserve([minute, hour], 1);
    expect(refused).toMatchObject({ ok: false, blocked: 0, counts: [2, 2] });
    if (refused.ok) throw new Error('unreachable');
    expect(refused.resetMs).toBeGreaterThan(50_000);
    expect(refused.resetMs).toBeLessThanOrEqual(60_000);
    // The refusal counted nothing in the window that had room.
    expect(await h.store.reserve([hour], 1)).toMatchObject({ ok: true, counts: [3] });
  });

  it('names, of several refusing windows, the one that resets last', async () => {
    const [minute, day] = [window(1), window(1, 86_400_000)];
    await h.store.reserve([minute, day], 1);
    const refused = await h.store.reserve([minute, day], 1);
    expect(refused).toMatchObject({ ok: false, blocked: 1 });
    if (!refused.ok) expect(refused.resetMs).toBeGreaterThan(86_000_000);
  });

  it('reserves an amount only when all of it fits', async () => {
    const w = window(5);
    expect(await h.store.reserve([w], 4)).toMatchObject({ ok: true, counts: [4] });
    expect(await h.store.reserve([w], 2)).toMatchObject({ ok: false, counts: [4] });
    expect(await h.store.reserve([w], 1)).toMatchObject({ ok: true, counts: [5] });
    expect(await h.store.reserve([window(3)], 4)).toMatchObject({ ok: false, counts: [0] });
  });

  it('starts again once a window has expired', async () => {
    const w = window(1, 200);
    expect(await h.store.reserve([w], 1)).toMatchObject({ ok: true });
    expect(await h.store.reserve([w], 1)).toMatchObject({ ok: false });
    await h.elapse(300);
    expect(await h.store.reserve([w], 1)).toMatchObject({ ok: true, counts: [1] });
  });

  it('lets exactly the limit through when reserves race', async () => {
    const [w, tenant] = [window(10), window(1000)];
    const results = await Promise.all(Array.from({ length: 40 }, () => h.store.reserve([w, tenant], 1)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(await h.store.reserve([tenant], 0)).toMatchObject({ ok: true, counts: [10] });
  });

  it('settles a reservation by the difference to the actual amount, in every window it counted', async () => {
    const [a, b] = [window(100), window(1000, 3_600_000)];
    const first = await h.store.reserve([a, b], 10);
    if (!first.ok) throw new Error('refused');
    expect(await h.store.settle(first.reservation, 4)).toEqual([4, 4]);
    const second = await h.store.reserve([a, b], 10);
    if (!second.ok) throw new Error('refused');
    expect(second.counts).toEqual([14, 14]);
    expect(await h.store.settle(second.reservation, 25)).toEqual([29, 29]);
    // Settled down, the window has room again.
    expect(await h.store.reserve([a], 71)).toMatchObject({ ok: true, counts: [100] });
  });

  it('leaves a window that has ended since the reservation alone', async () => {
    const [short, long] = [window(10, 200), window(10)];
    const reserved = await h.store.reserve([short, long], 1);
    if (!reserved.ok) throw new Error('refused');
    await h.elapse(300);
    expect(await h.store.settle(reserved.reservation, 3)).toEqual([null, 3]);
    // Not brought back by the settle: a fresh counter, with its own expiry.
    expect(await h.store.reserve([short], 1)).toMatchObject({ ok: true, counts: [1] });
  });
});

describe(LocalQuotaStore.name, () => {
  it('drops expired windows from memory', async () => {
    let now = 0;
    const sut = new LocalQuotaStore(() => now);
    for (let i = 0; i < 100; i++) sut.reserveNow([window(1, 1000)], 1);
    expect(sut.size).toBe(100);
    now += 61_000;
    sut.reserveNow([window(1, 1000)], 1);
    expect(sut.size).toBe(1);
  });
});

/** A loopback proxy to Redis that can stop passing bytes on (a Redis that hangs) without closing. */
async function freezableProxy(port: number): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('data', (d) => frozen || to.write(d));
      from.on('close', () => to.destroy());
      from.on('error', () => undefined);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => void (frozen = true),
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

describeWithRedis(`${RedisQuotaStore.name} on a real Redis`, () => {
  it('costs one round trip per reserve and per settle', async () => {
    const sent: string[] = [];
    const spy = jest.spyOn(redisStore!.client, 'sendCommand').mockImplementation(function (this: Redis, ...args) {
      sent.push(args[0].name);
      return Redis.prototype.sendCommand.apply(this, args);
    });
    try {
      const reserved = await redisStore!.reserve([window(5), window(50), window(500)], 1);
      if (!reserved.ok) throw new Error('refused');
      await redisStore!.settle(reserved.reservation, 2);
    } finally {
      spy.mockRestore();
    }
    expect(sent).toEqual(['evalsha', 'evalsha']);
  });

  it('falls back to EVAL when Redis does not know the script (NOSCRIPT)', async () => {
    const sut = new RedisQuotaStore(redisUrl!);
    try {
      expect(await sut.connect()).toBe(true);
      // As after a restart of Redis, which forgets loaded scripts.
      (sut as unknown as { scripts: { reserve: { sha: string } } }).scripts.reserve.sha = '0'.repeat(40);
      const evals = jest.spyOn(sut.client, 'eval');
      expect(await sut.reserve([window(2)], 1)).toMatchObject({ ok: true, counts: [1] });
      expect(evals).toHaveBeenCalledTimes(1);
    } finally {
      await sut.close();
    }
  });

  it('fails at once while not connected, and within the command timeout when Redis stops answering', async () => {
    // Never connected (lazyConnect): refused without a command sent or a connection awaited.
    const unconnected = new RedisQuotaStore(redisUrl!);
    const sent = jest.spyOn(unconnected.client, 'sendCommand');
    let started = Date.now();
    await expect(unconnected.reserve([window(1)], 1)).rejects.toThrow(/not connected/);
    expect(sent).not.toHaveBeenCalled();
    expect(Date.now() - started).toBeLessThan(500);
    await unconnected.close();

    const { port } = new URL(redisUrl!);
    const proxy = await freezableProxy(Number(port || 6379));
    const sut = new RedisQuotaStore(`redis://127.0.0.1:${proxy.port}`);
    try {
      expect(await sut.connect()).toBe(true);
      expect(await sut.reserve([window(5)], 1)).toMatchObject({ ok: true });
      proxy.freeze();
      started = Date.now();
      await expect(sut.reserve([window(5)], 1)).rejects.toThrow(/timed out/i);
      // The 100 ms command timeout, and some slack for a loaded machine.
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await sut.close();
      await proxy.close();
    }
  });
});
