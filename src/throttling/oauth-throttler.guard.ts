import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { OAuthError } from '../common/oauth-error';

/** Answers a throttled OAuth request as contract 2.1 says: 429 slow_down with Retry-After. */
@Injectable()
export class OAuthThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new OAuthError('slow_down', {
      retryAfter: Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire)),
      detail: `throttled ${detail.key.slice(0, 12)}`,
    });
  }
}
