import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

const MAX_LOCK_SECONDS = 24 * 3600;

/**
 * Contract 3: after LOCKOUT_AFTER failures of one account within its window the account is
 * locked, for the window at first and twice as long each time after (capped at a day); a
 * success or an admin unlock clears it.
 */
@Injectable()
export class LockoutService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async recordFailure(tenantId: string, userId: string): Promise<void> {
    const now = this.clock.now();
    const { limit, windowSeconds } = this.config.lockoutAfter;
    const windowStart = new Date(now.getTime() - windowSeconds * 1000);
    // One statement: count within the window, and lock when the count reaches the limit.
    await this.dataSource.query(
      `INSERT INTO user_lockouts AS l (user_id, tenant_id, failure_count, window_started_at, last_failure_at)
       VALUES ($1, $2, 1, $3, $3)
       ON CONFLICT (user_id) DO UPDATE SET
         failure_count = CASE WHEN l.window_started_at < $4 THEN 1 ELSE l.failure_count + 1 END,
         window_started_at = CASE WHEN l.window_started_at < $4 THEN $3 ELSE l.window_started_at END,
         last_failure_at = $3`,
      [userId, tenantId, now, windowStart],
    );
    await this.dataSource.query(
      `UPDATE user_lockouts SET
         locked_until = $2::timestamptz + make_interval(secs => LEAST($4::float8 * power(2, lock_count), $5)),
         lock_count = lock_count + 1, failure_count = 0, window_started_at = $2
       WHERE user_id = $1 AND failure_count >= $3`,
      [userId, now, limit, windowSeconds, MAX_LOCK_SECONDS],
    );
  }

  async clear(userId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM user_lockouts WHERE user_id = $1`, [userId]);
  }
}
