/**
 * Contract 2.7 quotas: the fixed windows one request is counted in. A window is a counter
 * keyed by what it counts and by the start of its period (a minute, or a UTC day), so every
 * instance counts the same period under the same key and a new period starts a new counter;
 * the counter expires when its period ends.
 */

/** A tenant's quota settings as /verify reads them; null fields are unlimited. */
export interface TenantQuota {
  readonly perSubjectPerMinute: number | null;
  readonly perSubjectPerDay: number | null;
  readonly perTenantPerMinute: number | null;
}

/** One counter to check and increment: its key, its limit and the milliseconds until it resets. */
export interface QuotaWindow {
  /** Which of the tenant's limits it counts, for the console's list of refusals. */
  readonly name: keyof TenantQuota;
  readonly key: string;
  readonly limit: number;
  readonly ttlMs: number;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** The fixed period of `lengthMs` that `nowMs` falls in: its start and the milliseconds left of it. */
export function period(nowMs: number, lengthMs: number): { startMs: number; ttlMs: number } {
  // Epoch days are UTC days: a day window runs from 00:00Z to 00:00Z.
  const startMs = Math.floor(nowMs / lengthMs) * lengthMs;
  return { startMs, ttlMs: startMs + lengthMs - nowMs };
}

/**
 * The windows of one subject of one tenant at `nowMs`, in a fixed order (per subject per
 * minute, per subject per day, per tenant per minute), each only when its limit is set. The
 * tenant id is the keys' Redis Cluster hash tag, so one check's keys share a slot.
 */
export function quotaWindows(prefix: string, tenantId: string, sub: string, quota: TenantQuota, nowMs: number): QuotaWindow[] {
  const windows: QuotaWindow[] = [];
  const minute = period(nowMs, MINUTE_MS);
  const minuteStart = minute.startMs / 1000;
  if (quota.perSubjectPerMinute !== null) {
    windows.push({ name: 'perSubjectPerMinute', key: `${prefix}{${tenantId}}:s:${sub}:m:${minuteStart}`, limit: quota.perSubjectPerMinute, ttlMs: minute.ttlMs });
  }
  if (quota.perSubjectPerDay !== null) {
    const day = period(nowMs, DAY_MS);
    windows.push({ name: 'perSubjectPerDay', key: `${prefix}{${tenantId}}:s:${sub}:d:${day.startMs / 1000}`, limit: quota.perSubjectPerDay, ttlMs: day.ttlMs });
  }
  if (quota.perTenantPerMinute !== null) {
    windows.push({ name: 'perTenantPerMinute', key: `${prefix}{${tenantId}}:t:m:${minuteStart}`, limit: quota.perTenantPerMinute, ttlMs: minute.ttlMs });
  }
  return windows;
}

/** The quota settings of a tenant's stored settings, or null when it sets none (the fast path). */
export function tenantQuotaOf(raw: unknown): TenantQuota | null {
  if (raw === null || typeof raw !== 'object') return null;
  const limit = (name: keyof TenantQuota): number | null => {
    const value = (raw as Record<string, unknown>)[name];
    return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
  };
  const quota: TenantQuota = {
    perSubjectPerMinute: limit('perSubjectPerMinute'),
    perSubjectPerDay: limit('perSubjectPerDay'),
    perTenantPerMinute: limit('perTenantPerMinute'),
  };
  return quota.perSubjectPerMinute === null && quota.perSubjectPerDay === null && quota.perTenantPerMinute === null ? null : quota;
}

/** What the answer says of the quota: the most constrained window's limit and what is left of it. */
export interface QuotaState {
  readonly limit: number;
  readonly remaining: number;
}

/** The window with the least left after `counts` (the first of equals), as headers report it. */
export function mostConstrained(windows: readonly QuotaWindow[], counts: readonly number[]): QuotaState {
  let best: QuotaState = { limit: windows[0].limit, remaining: Math.max(0, windows[0].limit - counts[0]) };
  for (let i = 1; i < windows.length; i++) {
    const remaining = Math.max(0, windows[i].limit - counts[i]);
    if (remaining < best.remaining) best = { limit: windows[i].limit, remaining };
  }
  return best;
}
