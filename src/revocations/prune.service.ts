import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { CLOCK_SKEW } from '../keys/keys.service';

const PRUNE_LOCK_KEY = 7_340_221_003;
const EVERY_MS = 10 * 60_000;
/** Rows deleted per statement, so a large backlog never holds long locks. */
const BATCH = 5000;
/** Invalidations only matter to caches that were running when they were written. */
const INVALIDATION_RETENTION_S = 3600;

export interface PruneResult {
  revokedAccessTokens: number;
  notBefore: number;
  cacheInvalidations: number;
  refreshFamilies: number;
  auditEvents: number;
}

/**
 * Contract 6: expired rows go. Every instance schedules it; a transaction-scoped advisory lock
 * taken with try lets one of them do each run while the others skip it.
 */
@Injectable()
export class PruneService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PruneService.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runScheduled(), EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async runScheduled(): Promise<void> {
    try {
      const result = await this.prune();
      if (result && Object.values(result).some((n) => n > 0)) this.logger.log(`pruned ${JSON.stringify(result)}`);
    } catch (err) {
      this.logger.warn(`pruning failed: ${(err as Error).message}`);
    }
  }

  /** One pruning run; null when another instance holds the lock. */
  async prune(): Promise<PruneResult | null> {
    const locked = await this.dataSource.transaction(async (m) => {
      const [{ got }] = await m.query(`SELECT pg_try_advisory_xact_lock($1) AS got`, [PRUNE_LOCK_KEY]);
      if (!got) return null;
      const now = this.clock.now();
      const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
      const drain = async (table: string, key: string, condition: string, at: Date): Promise<number> => {
        let total = 0;
        for (;;) {
          // TypeORM answers a DELETE with [rows, rowCount].
          const [, deleted]: [unknown, number] = await m.query(
            `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${condition} LIMIT ${BATCH})`,
            [at],
          );
          total += deleted;
          if (deleted < BATCH) return total;
        }
      };
      return {
        // A verifier may still hold a token for a clock skew past its exp.
        revokedAccessTokens: await drain('revoked_access_tokens', 'jti', 'expires_at < $1', ago(CLOCK_SKEW)),
        notBefore: await drain('token_not_before', 'seq', 'expires_at < $1', now),
        cacheInvalidations: await drain('cache_invalidations', 'seq', 'at < $1', ago(INVALIDATION_RETENTION_S)),
        // Their refresh tokens go with them (ON DELETE CASCADE).
        refreshFamilies: await drain('refresh_token_families', 'id', 'expires_at < $1', now),
        auditEvents: await drain('audit_events', 'id', 'at < $1', ago(this.config.auditRetention)),
      };
    });
    return locked;
  }
}
