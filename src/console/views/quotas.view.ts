import type { TenantResponse } from '../../tenants/dto/tenant.response';
import type { QuotaRefusal } from '../../verify/quota-refusals';
import { html, type SafeHtml } from '../html';
import { when } from './common';

const WINDOWS: Record<QuotaRefusal['window'], string> = {
  perSubjectPerMinute: 'per subject per minute',
  perSubjectPerDay: 'per subject per day (UTC)',
  perTenantPerMinute: 'per tenant per minute',
  store: 'quota store unreachable (QUOTA_STORE_FAILURE=deny)',
};

const limit = (value: number | null | undefined) => (value ? html`${value.toLocaleString('en')} requests` : html`<span class="muted">unlimited</span>`);

/** Screen 7: a tenant's quotas at /verify and the latest requests they refused on this instance. */
export function tenantQuotas(p: { tenant: TenantResponse; refusals: readonly QuotaRefusal[]; platform: boolean }): SafeHtml {
  const q = p.tenant.settings.quota ?? {};
  return html`<section aria-labelledby="quota-limits-title">
<h2 id="quota-limits-title">Limits</h2>
<dl><dt>Per subject per minute</dt><dd>${limit(q.perSubjectPerMinute)}</dd>
<dt>Per subject per day (UTC)</dt><dd>${limit(q.perSubjectPerDay)}</dd>
<dt>Per tenant per minute</dt><dd>${limit(q.perTenantPerMinute)}</dd></dl>
<p class="hint">Counted at <span class="mono">GET /verify</span> for allowed requests only; a subject is a user, client or API key.
${p.platform ? html`Change them in <a href="/console/tenants/${p.tenant.id}/settings">the tenant's settings</a>.` : 'A platform admin sets them.'}</p>
</section>
<section aria-labelledby="quota-refusals-title">
<h2 id="quota-refusals-title">Recent 429s</h2>
${
  p.refusals.length
    ? html`<table>
<caption class="visually-hidden">The latest requests refused for a quota, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Subject</th><th scope="col">Limit reached</th><th scope="col">Retry after</th></tr></thead>
<tbody>${p.refusals.map(
        (r) => html`<tr><td>${when(r.at)}</td><td class="mono">${r.subject}</td><td>${WINDOWS[r.window]}: ${r.limit.toLocaleString('en')}</td><td>${r.retryAfter} s</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No request of this tenant was refused for a quota on this instance since it started.</p>`
}
<p class="hint">The latest 50 of this instance, kept in memory (each instance of Tessera answers for its own /verify requests).
All instances' count is <span class="mono">tessera_verify_decisions_total{outcome="rate_limited"}</span> at /metrics.</p>
</section>`;
}
