import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type { RedisOptions } from 'ioredis';
import { MemoryThrottlerStorage } from './memory-throttler-storage';

/**
 * Fail fast: with ioredis' defaults a command waits in the offline queue through up to 20
 * reconnects while Redis is gone, so every throttled request hung for many seconds and then
 * failed with a 500 (found by test/adversarial/redis-outage.adv-spec.ts).
 */
const REDIS_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 500,
  commandTimeout: 200,
  disconnectTimeout: 200,
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1000),
};

/**
 * The throttler's counts in Redis (REDIS_URL), shared by every instance; while Redis cannot
 * be reached they are kept in the process instead, so throttling degrades to per instance and
 * no request fails for want of Redis. The switch is logged each way, once.
 */
export class FallbackThrottlerStorage implements ThrottlerStorage, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Throttling');
  private readonly redis: ThrottlerStorageRedisService;
  private readonly local = new MemoryThrottlerStorage();
  private degraded = false;

  constructor(url: string) {
    this.redis = new ThrottlerStorageRedisService(url, REDIS_OPTIONS);
    // Without a listener ioredis reports each failed reconnect as an unhandled error event.
    this.redis.redis.on('error', () => undefined);
  }

  /** The first requests find the connection up, rather than counting locally while it opens. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.redis.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.redis.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    try {
      const record = await this.redis.increment(key, ttl, limit, blockDuration, throttlerName);
      if (this.degraded) {
        this.degraded = false;
        this.logger.warn('Redis is back: throttling counts are shared across instances again');
      }
      return record;
    } catch (err) {
      if (!this.degraded) {
        this.degraded = true;
        this.logger.warn(`Redis unreachable (${(err as Error).message}): throttling counts in this process until it is back`);
      }
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
    this.redis.onModuleDestroy();
  }
}
