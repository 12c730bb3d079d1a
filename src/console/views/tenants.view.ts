import type { TenantResponse } from '../../tenants/dto/tenant.response';
import { html, type SafeHtml } from '../html';
import { when } from './common';

export function tenantsList(tenants: TenantResponse[]): SafeHtml {
  return html`<table>
<thead><tr><th scope="col">Slug</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Manage</th></tr></thead>
<tbody>${tenants.map(
    (t) => html`<tr><th scope="row" class="mono">${t.slug}</th><td>${t.name}</td><td><span class="state ${t.status === 'active' ? 'current' : 'revoked'}">${t.status}</span></td><td>${when(t.createdAt)}</td>
<td class="actions"><a href="/console/tenants/${t.id}/api-keys">API keys<span class="visually-hidden"> of ${t.slug}</span></a> <a href="/console/tenants/${t.id}/users">Users<span class="visually-hidden"> of ${t.slug}</span></a> <a href="/console/tenants/${t.id}/clients">Clients<span class="visually-hidden"> of ${t.slug}</span></a></td></tr>`,
  )}</tbody></table>`;
}
