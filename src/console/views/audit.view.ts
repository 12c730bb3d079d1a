import type { AuditEventResponse } from '../../audit/dto/audit-event.response';
import { html, type SafeHtml } from '../html';
import { pager, when } from './common';

export interface AuditFilters {
  action: string;
  actor: string;
  target: string;
  since: string;
  until: string;
  tenant_id: string;
}

const input = (id: keyof AuditFilters, label: string, value: string, type = 'text', hint = '') =>
  html`<div class="field"><label for="f-${id}">${label}</label><input id="f-${id}" name="${id}" type="${type}" value="${value}"${hint ? html` aria-describedby="f-${id}-hint"` : ''}>${
    hint ? html`<p class="hint" id="f-${id}-hint">${hint}</p>` : ''
  }</div>`;

export function auditView(p: { filters: AuditFilters; platform: boolean; events: AuditEventResponse[]; cursor?: string; nextCursor: string | null; error?: string }): SafeHtml {
  const f = p.filters;
  const query = new URLSearchParams(Object.entries(f).filter(([, v]) => v)).toString();
  return html`<form method="get" action="/console/audit" role="search">
<fieldset><legend>Filters</legend>
  ${input('action', 'Action', f.action, 'text', 'Exactly, e.g. api_key.created or login.failed.')}
  ${input('actor', 'Actor id', f.actor)}
  ${input('target', 'Target id', f.target)}
  ${input('since', 'From (UTC)', f.since, 'datetime-local')}
  ${input('until', 'Until (UTC, exclusive)', f.until, 'datetime-local')}
  ${p.platform ? input('tenant_id', 'Tenant id', f.tenant_id) : ''}
  <div class="actions"><button type="submit">Apply filters</button> <a href="/console/audit">Clear</a>
  <a href="/console/audit/export.ndjson${query ? `?${query}` : ''}" download>Export the filtered events (NDJSON)</a></div>
</fieldset>
</form>
${p.error ? html`<p class="flash error" role="alert">${p.error}</p>` : ''}
<table>
  <caption class="visually-hidden">Audit events, newest first</caption>
  <thead><tr><th scope="col">At</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Address</th><th scope="col">Details</th></tr></thead>
  <tbody>${
    p.events.length
      ? p.events.map(
          (e) => html`<tr><td>${when(e.at)}</td><th scope="row" class="mono">${e.action}</th><td>${e.outcome}</td><td class="mono">${e.actor ?? ''}</td><td class="mono">${e.target ?? ''}</td><td class="mono">${e.ip ?? ''}</td><td class="mono">${JSON.stringify(e.details)}</td></tr>`,
        )
      : html`<tr><td colspan="7" class="muted">No events match.</td></tr>`
  }</tbody>
</table>
${pager('/console/audit', { ...f, cursor: p.cursor }, p.nextCursor, !p.cursor)}`;
}
