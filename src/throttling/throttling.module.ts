import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { readClientCredentials } from '../auth/client-auth.service';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { usernameKey } from '../users/username';
import { FallbackThrottlerStorage } from './fallback-throttler-storage';

/**
 * Who a /token request tries to authenticate as: the username of a password login, else the
 * client id. Throttling on it slows guessing against one account from many addresses.
 */
export function subjectOf(req: FastifyRequest): string | null {
  const body = (req.body ?? {}) as Record<string, unknown>;
  let clientId: string | null = null;
  try {
    clientId = readClientCredentials({
      authorization: req.headers.authorization,
      clientId: typeof body.client_id === 'string' ? body.client_id : undefined,
    }).id;
  } catch {
    clientId = typeof body.client_id === 'string' ? body.client_id : null;
  }
  // The console's login form names a tenant by slug instead of a client (issue #15).
  if (typeof body.username === 'string' && body.username && clientId === null && typeof body.tenant === 'string') {
    return `user:console:${body.tenant.trim().toLowerCase()}:${usernameKey(body.username)}`;
  }
  if (typeof body.username === 'string' && body.username) return `user:${clientId ?? ''}:${usernameKey(body.username)}`;
  return clientId ? `client:${clientId}` : null;
}

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
            skipIf: (context) => {
              const req = context.switchToHttp().getRequest<FastifyRequest>();
              const path = req.url.split('?')[0];
              return (path !== '/token' && path !== '/console/login') || subjectOf(req) === null;
            },
          },
        ],
        storage: config.redisUrl ? new FallbackThrottlerStorage(config.redisUrl) : undefined,
      }),
    }),
  ],
  exports: [ThrottlerModule],
})
export class ThrottlingModule {}
