import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { FallbackThrottlerStorage } from './fallback-throttler-storage';
import { MemoryThrottlerStorage } from './memory-throttler-storage';
import { subjectOf } from './subject';
import { TokenThrottle } from './token-throttle';

/**
 * Contract 3: per client IP on /token, /revoke and /introspect, and per username or client id
 * on /token. In memory for one instance; in Redis (REDIS_URL) so several instances share counts,
 * in memory again while Redis is unreachable.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        throttlers: [
          {
            name: 'ip',
            limit: config.throttlePerIp.limit,
            ttl: config.throttlePerIp.windowSeconds * 1000,
            getTracker: (req: Record<string, any>) => (req as FastifyRequest).ip,
          },
          {
            name: 'subject',
            limit: config.throttlePerSubject.limit,
            ttl: config.throttlePerSubject.windowSeconds * 1000,
            getTracker: (req: Record<string, any>) => subjectOf(req as FastifyRequest) ?? '',
            // Through the guard only the console's login names a subject; POST /token is counted
            // by TokenThrottle, which applies this throttler itself.
            skipIf: (context) => {
              const req = context.switchToHttp().getRequest<FastifyRequest>();
              return req.url.split('?')[0] !== '/console/login' || subjectOf(req) === null;
            },
          },
        ],
        storage: config.redisUrl ? new FallbackThrottlerStorage(config.redisUrl) : new MemoryThrottlerStorage(),
      }),
    }),
  ],
  providers: [TokenThrottle],
  exports: [ThrottlerModule, TokenThrottle],
})
export class ThrottlingModule {}
