import type { TenantQuota } from './quota-windows';

/** One /verify answered 429 for a tenant's quota (contract 2.7). */
export interface QuotaRefusal {
  readonly at: Date;
  /** The user id, client_id or API key id whose request it was. */
  readonly subject: string;
  /** The limit that was reached, or `store` when Redis was out under QUOTA_STORE_FAILURE=deny. */
  readonly window: keyof TenantQuota | 'store';
  readonly limit: number;
  readonly retryAfter: number;
}

const PER_TENANT = 50;
const TENANTS = 1_000;

/**
 * The latest quota refusals of each tenant on this instance, for the console's quota screen: a
 * bounded ring per tenant and a bounded number of tenants, in memory, since a refusal is a hot
 * path event (one per request over the limit) that must not cost a write. The count of all of
 * them is tessera_verify_decisions_total{outcome="rate_limited"}.
 */
export class QuotaRefusals {
  private readonly byTenant = new Map<string, QuotaRefusal[]>();

  record(tenantId: string, refusal: QuotaRefusal): void {
    let list = this.byTenant.get(tenantId);
    if (!list) {
      if (this.byTenant.size >= TENANTS) this.byTenant.delete(this.byTenant.keys().next().value!);
      list = [];
      this.byTenant.set(tenantId, list);
    }
    list.push(refusal);
    if (list.length > PER_TENANT) list.shift();
  }

  /** Newest first. */
  recent(tenantId: string): readonly QuotaRefusal[] {
    return [...(this.byTenant.get(tenantId) ?? [])].reverse();
  }
}
