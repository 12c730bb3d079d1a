import { INFERENCE_SCOPES } from '../../auth/scopes';
import type { TenantResponse } from '../../tenants/dto/tenant.response';
import { html, type SafeHtml } from '../html';
import { csrfField, when } from './common';

export function tenantsList(tenants: TenantResponse[], csrf: string): SafeHtml {
  return html`<table>
<caption class="visually-hidden">Tenants</caption>
<thead><tr><th scope="col">Slug</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Manage</th></tr></thead>
<tbody>${tenants.map(
    (t) => html`<tr><th scope="row" class="mono">${t.slug}</th><td>${t.name}</td><td><span class="state ${t.status === 'active' ? 'current' : 'revoked'}">${t.status}</span></td><td>${when(t.createdAt)}</td>
<td class="actions"><a href="/console/tenants/${t.id}/api-keys">API keys<span class="visually-hidden"> of ${t.slug}</span></a> <a href="/console/tenants/${t.id}/users">Users<span class="visually-hidden"> of ${t.slug}</span></a> <a href="/console/tenants/${t.id}/clients">Clients<span class="visually-hidden"> of ${t.slug}</span></a> <a href="/console/tenants/${t.id}/settings">Settings<span class="visually-hidden"> of ${t.slug}</span></a></td></tr>`,
  )}</tbody></table>
<section aria-labelledby="create-tenant-title">
<h2 id="create-tenant-title">Create a tenant</h2>
<form method="post" action="/console/tenants">
  ${csrfField(csrf)}
  <div class="field"><label for="tenant-slug">Slug</label><input id="tenant-slug" name="slug" type="text" required maxlength="63" aria-describedby="tenant-slug-hint">
  <p class="hint" id="tenant-slug-hint">Lower-case letters, digits and inner hyphens; its admins type it to log in.</p></div>
  <div class="field"><label for="tenant-name">Name</label><input id="tenant-name" name="name" type="text" required maxlength="200"></div>
  <div class="field"><label for="tenant-scopes">Scopes it offers</label><input id="tenant-scopes" name="scopes" type="text" value="${INFERENCE_SCOPES.join(' ')}" aria-describedby="tenant-scopes-hint">
  <p class="hint" id="tenant-scopes-hint">Separated by spaces; model scopes look like model:qwen3-vl-4b-instruct.</p></div>
  <button type="submit">Create tenant</button>
</form>
</section>`;
}

const num = (id: string, name: string, label: string, value: number | undefined, hint: string) =>
  html`<div class="field"><label for="${id}">${label}</label><input id="${id}" name="${name}" type="text" inputmode="numeric" value="${value ?? ''}" aria-describedby="${id}-hint"><p class="hint" id="${id}-hint">${hint}</p></div>`;

export function tenantSettings(p: { base: string; csrf: string; tenant: TenantResponse; platform: boolean }): SafeHtml {
  const t = p.tenant;
  const s = t.settings;
  const quota = s.quota ?? {};
  return html`<dl><dt>Status</dt><dd><span class="state ${t.status === 'active' ? 'current' : 'revoked'}">${t.status}</span>${t.suspendedAt ? html` since ${when(t.suspendedAt)}` : ''}</dd>
<dt>Id</dt><dd class="mono">${t.id}</dd></dl>
${
  p.platform && t.slug !== 'system'
    ? html`<form method="post" action="${p.base}/status" class="actions">${csrfField(p.csrf)}
<input type="hidden" name="status" value="${t.status === 'active' ? 'suspended' : 'active'}">
<button type="submit" class="${t.status === 'active' ? 'danger' : ''}">${t.status === 'active' ? 'Suspend tenant' : 'Reactivate tenant'}</button></form>
<p class="hint">Suspending refuses every login, refresh, introspection and /verify of the tenant from then on; reactivating lets new tokens work again.</p>`
    : ''
}
<form method="post" action="${p.base}">
  ${csrfField(p.csrf)}
  <div class="field"><label for="settings-name">Name</label><input id="settings-name" name="name" type="text" required maxlength="200" value="${t.name}"></div>
  <fieldset><legend>Token lifetimes (seconds; empty: the service default)</legend>
  ${num('s-access', 'accessTokenTtl', 'Access token', s.accessTokenTtl, '300 to 3600.')}
  ${num('s-refresh', 'refreshTokenTtl', 'Refresh session, absolute', s.refreshTokenTtl, 'At least 300.')}
  ${num('s-idle', 'refreshIdleTtl', 'Refresh session, idle', s.refreshIdleTtl, 'At least 300.')}
  </fieldset>
  ${
    p.platform
      ? html`<fieldset><legend>Quotas at /verify (empty: unlimited)</legend>
  ${num('q-sm', 'perSubjectPerMinute', 'Per subject per minute', quota.perSubjectPerMinute, 'Requests of one user, client or API key.')}
  ${num('q-sd', 'perSubjectPerDay', 'Per subject per day', quota.perSubjectPerDay, 'Requests of one user, client or API key.')}
  ${num('q-tm', 'perTenantPerMinute', 'Per tenant per minute', quota.perTenantPerMinute, 'All of the tenant’s requests.')}
  </fieldset>`
      : ''
  }
  <button type="submit">Save settings</button>
</form>`;
}
