import { Injectable } from '@nestjs/common';
import { InjectThrottlerOptions, InjectThrottlerStorage, type ThrottlerModuleOptions, type ThrottlerOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { OAuthError } from '../common/oauth-error';
import { subjectOf } from './subject';

/** The route POST /token was before it left the Nest router: its counters keep their keys (Redis). */
const KEY_PREFIX = 'TokenController-token';

/**
 * Contract 3's throttling of POST /token, for the plain Fastify route (src/auth/token.route.ts):
 * the same throttlers, storage, keys, limits and headers as OAuthThrottlerGuard applies to the
 * other OAuth endpoints, without the Nest guard machinery around them.
 */
@Injectable()
export class TokenThrottle {
  private readonly throttlers: readonly ThrottlerOptions[];

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
  ) {
    this.throttlers = Array.isArray(options) ? options : options.throttlers;
  }

  /** Counts the request against every throttler; throws slow_down (429) when one refuses it. */
  async check(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    for (const throttler of this.throttlers) {
      // The module's trackers and, for this path, its skipIf (the subject throttler counts only
      // a request that names one), without parsing the client's credentials twice.
      const tracker =
        throttler.name === 'subject'
          ? subjectOf(request)
          : throttler.name === 'ip'
            ? request.ip
            : await throttler.getTracker!(request as unknown as Record<string, unknown>, undefined as never);
      if (tracker === null) continue;
      const limit = throttler.limit as number;
      const ttl = throttler.ttl as number;
      const key = createHash('sha256').update(`${KEY_PREFIX}-${throttler.name}-${tracker}`).digest('hex');
      const record = await this.storage.increment(key, ttl, limit, (throttler.blockDuration as number | undefined) ?? ttl, throttler.name!);
      if (record.isBlocked) {
        reply.header(`retry-after-${throttler.name}`, record.timeToBlockExpire);
        throw new OAuthError('slow_down', {
          retryAfter: Math.max(1, Math.ceil(record.timeToBlockExpire || record.timeToExpire)),
          detail: `throttled ${key.slice(0, 12)}`,
        });
      }
      reply.header(`x-ratelimit-limit-${throttler.name}`, limit);
      reply.header(`x-ratelimit-remaining-${throttler.name}`, Math.max(0, limit - record.totalHits));
      reply.header(`x-ratelimit-reset-${throttler.name}`, record.timeToExpire);
    }
  }
}
