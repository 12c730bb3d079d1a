import { DAY_MS, MINUTE_MS, mostConstrained, period, quotaWindows, tenantQuotaOf, type TenantQuota } from './quota-windows';

const at = (iso: string) => new Date(iso).getTime();
const ALL: TenantQuota = { perSubjectPerMinute: 3, perSubjectPerDay: 100, perTenantPerMinute: 10 };

describe('quota windows', () => {
  it('cuts time into fixed minutes and UTC days, keyed by their start', () => {
    expect(period(at('2026-03-10T12:34:56.250Z'), MINUTE_MS)).toEqual({ startMs: at('2026-03-10T12:34:00Z'), ttlMs: 3750 });
    expect(period(at('2026-03-10T12:34:00Z'), MINUTE_MS)).toEqual({ startMs: at('2026-03-10T12:34:00Z'), ttlMs: 60_000 });
    // The day runs 00:00Z to 00:00Z whatever the process's time zone.
    expect(period(at('2026-03-10T23:59:59Z'), DAY_MS)).toEqual({ startMs: at('2026-03-10T00:00:00Z'), ttlMs: 1000 });
    expect(period(at('2026-03-11T00:00:00Z'), DAY_MS)).toEqual({ startMs: at('2026-03-11T00:00:00Z'), ttlMs: DAY_MS });
  });

  it('names one window per limit set, per subject within its tenant and per tenant', () => {
    const now = at('2026-03-10T12:34:56Z');
    const minute = at('2026-03-10T12:34:00Z') / 1000;
    const day = at('2026-03-10T00:00:00Z') / 1000;
    expect(quotaWindows('p:', 'T', 'alice', ALL, now)).toEqual([
      { name: 'perSubjectPerMinute', key: `p:{T}:s:alice:m:${minute}`, limit: 3, ttlMs: 4000 },
      { name: 'perSubjectPerDay', key: `p:{T}:s:alice:d:${day}`, limit: 100, ttlMs: at('2026-03-11T00:00:00Z') - now },
      { name: 'perTenantPerMinute', key: `p:{T}:t:m:${minute}`, limit: 10, ttlMs: 4000 },
    ]);
    expect(quotaWindows('p:', 'T', 'alice', { perSubjectPerMinute: null, perSubjectPerDay: 5, perTenantPerMinute: null }, now).map((w) => w.limit)).toEqual([5]);
    // Another subject of the tenant: its own subject windows, the same tenant window.
    const [bobMinute, , bobTenant] = quotaWindows('p:', 'T', 'bob', ALL, now);
    expect(bobMinute.key).toBe(`p:{T}:s:bob:m:${minute}`);
    expect(bobTenant.key).toBe(`p:{T}:t:m:${minute}`);
    // The next minute is a new counter.
    expect(quotaWindows('p:', 'T', 'alice', ALL, now + 4000)[0].key).toBe(`p:{T}:s:alice:m:${minute + 60}`);
  });

  it('reads the quota settings, and none (the fast path) from settings without a usable limit', () => {
    expect(tenantQuotaOf({ perSubjectPerMinute: 3 })).toEqual({ perSubjectPerMinute: 3, perSubjectPerDay: null, perTenantPerMinute: null });
    expect(tenantQuotaOf(ALL)).toEqual(ALL);
    for (const raw of [null, undefined, {}, 'x', { perSubjectPerMinute: 0 }, { perSubjectPerDay: -1 }, { perTenantPerMinute: 1.5 }, { perSubjectPerMinute: '3' }]) {
      expect(tenantQuotaOf(raw)).toBeNull();
    }
  });

  it('reports the window with the least left, the first of equals', () => {
    const windows = quotaWindows('p:', 'T', 's', ALL, 0);
    expect(mostConstrained(windows, [1, 1, 1])).toEqual({ limit: 3, remaining: 2 });
    expect(mostConstrained(windows, [1, 99, 1])).toEqual({ limit: 100, remaining: 1 });
    expect(mostConstrained(windows, [0, 0, 10])).toEqual({ limit: 10, remaining: 0 });
    expect(mostConstrained(windows, [3, 0, 10])).toEqual({ limit: 3, remaining: 0 });
  });
});
