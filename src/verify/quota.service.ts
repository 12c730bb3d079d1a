import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { RedisQuotaStore } from './quota-redis-store';
import { QuotaRefusals, type QuotaRefusal } from './quota-refusals';
import { LocalQuotaStore, type Reservation, type ReserveResult } from './quota-store';
import { mostConstrained, quotaWindows, type QuotaState, type QuotaWindow, type TenantQuota } from './quota-windows';

export const QUOTA_KEY_PREFIX = 'tessera:quota:';
/** Retry-After of a refusal for want of Redis under QUOTA_STORE_FAILURE=deny. */
export const DENY_RETRY_AFTER = 5;

export type QuotaVerdict =
  | { readonly ok: true; readonly state: QuotaState }
  | { readonly ok: false; readonly state: QuotaState; readonly retryAfter: number; readonly detail: string };

/**
 * Contract 2.7: a tenant's quotas, counted in Redis with REDIS_URL (shared by every instance)
 * and in the process without it. While Redis cannot be reached, QUOTA_STORE_FAILURE decides:
 * `local` counts in the process meanwhile, `deny` refuses; either way the log says so once,
 * and once more when Redis is back, and `degraded` (the tessera_quota_store_degraded gauge)
 * is 1 meanwhile. A check never throws and waits at most Redis's command timeout.
 */
@Injectable()
export class QuotaService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QuotaService.name);
  private readonly refusals = new QuotaRefusals();
  readonly local: LocalQuotaStore;
  private readonly redis: RedisQuotaStore | null;
  private readonly failure: 'local' | 'deny';
  private isDegraded = false;
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
    private readonly http: HttpAdapterHost,
  ) {
    this.local = new LocalQuotaStore(() => this.clock.now().getTime());
    this.failure = config.quotaStoreFailure;
    this.redis = config.redisUrl
      ? new RedisQuotaStore(config.redisUrl, {
          onReady: () => this.recovered(),
          onError: (err) => this.degrade(err.message),
          onClose: () => this.degrade('connection closed'),
        })
      : null;
  }

  /** True while quotas cannot be counted in Redis (REDIS_URL set, Redis unreachable). */
  get degraded(): boolean {
    return this.isDegraded;
  }

  async onApplicationBootstrap(): Promise<void> {
    // An application context without an HTTP server (the operator CLI) answers no /verify.
    if (!this.redis || !this.http.httpAdapter) return;
    if (!(await this.redis.connect())) this.degrade('not reachable at start-up');
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.redis?.close();
  }

  /** One allowed /verify request of `sub` in `tenantId`, counted against `quota`. */
  async check(tenantId: string, sub: string, quota: TenantQuota): Promise<QuotaVerdict> {
    const now = this.clock.now();
    const windows = quotaWindows(QUOTA_KEY_PREFIX, tenantId, sub, quota, now.getTime());
    const result = await this.reserve(windows, 1);
    if (result === null) {
      const tightest = windows.reduce((a, b) => (b.limit < a.limit ? b : a));
      this.refusals.record(tenantId, { at: now, subject: sub, window: 'store', limit: tightest.limit, retryAfter: DENY_RETRY_AFTER });
      return { ok: false, state: { limit: tightest.limit, remaining: 0 }, retryAfter: DENY_RETRY_AFTER, detail: 'quota store unavailable (QUOTA_STORE_FAILURE=deny)' };
    }
    if (result.ok) return { ok: true, state: mostConstrained(windows, result.counts) };
    const blocked = windows[result.blocked];
    const retryAfter = Math.max(1, Math.ceil(result.resetMs / 1000));
    this.refusals.record(tenantId, { at: now, subject: sub, window: blocked.name, limit: blocked.limit, retryAfter });
    return {
      ok: false,
      state: { limit: blocked.limit, remaining: Math.max(0, blocked.limit - result.counts[result.blocked]) },
      retryAfter,
      detail: 'quota exhausted',
    };
  }

  /** The tenant's latest quota refusals on this instance, newest first (the console's quota screen). */
  recentRefusals(tenantId: string): readonly QuotaRefusal[] {
    return this.refusals.recent(tenantId);
  }

  /**
   * Counts `amount` in every window or in none, in Redis or, while it fails under `local`, in
   * the process; null when it fails under `deny`.
   */
  async reserve(windows: readonly QuotaWindow[], amount: number): Promise<ReserveResult | null> {
    if (!this.redis) return this.local.reserveNow(windows, amount);
    if (this.redis.ready) {
      try {
        const result = await this.redis.reserve(windows, amount);
        this.recovered();
        return result;
      } catch (err) {
        this.degrade((err as Error).message);
      }
    } else {
      this.degrade(`not connected (${this.redis.client.status})`);
    }
    return this.failure === 'local' ? this.local.reserveNow(windows, amount) : null;
  }

  /** Adjusts a reservation by the actual amount, in the store that counted it; nulls when it cannot. */
  async settle(reservation: Reservation, actualAmount: number): Promise<(number | null)[]> {
    try {
      return await reservation.store.settle(reservation, actualAmount);
    } catch (err) {
      this.degrade((err as Error).message);
      return reservation.windows.map(() => null);
    }
  }

  private degrade(reason: string): void {
    if (this.isDegraded || this.closing) return;
    this.isDegraded = true;
    const meanwhile = this.failure === 'local' ? 'counting quotas in this process' : 'refusing requests of tenants with quotas (429)';
    this.logger.warn(`quota store: Redis unreachable (${reason}); ${meanwhile} until it is back (QUOTA_STORE_FAILURE=${this.failure})`);
  }

  private recovered(): void {
    if (!this.isDegraded) return;
    this.isDegraded = false;
    this.logger.log('quota store: Redis reachable again; quotas are counted there');
  }
}
