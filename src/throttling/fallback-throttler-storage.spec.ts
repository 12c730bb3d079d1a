import { FallbackThrottlerStorage } from './fallback-throttler-storage';

describe(FallbackThrottlerStorage.name, () => {
  it('counts in the process, without waiting, while Redis cannot be reached', async () => {
    // Nothing listens on port 1: every Redis command fails at once (no offline queue).
    const sut = new FallbackThrottlerStorage('redis://127.0.0.1:1');
    try {
      const started = Date.now();
      const hits = [];
      for (let i = 0; i < 3; i++) hits.push((await sut.increment('ip:203.0.113.1', 60_000, 2, 0, 'ip')).totalHits);
      expect(hits).toEqual([1, 2, 3]);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      sut.onApplicationShutdown();
    }
  });
});
