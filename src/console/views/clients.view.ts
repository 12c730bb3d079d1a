import type { ClientResponse } from '../../clients/dto/client.response';
import { GRANT_TYPES } from '../../clients/credential-rules';
import { html, type SafeHtml } from '../html';
import { csrfField, pager, scopeChecks, when } from './common';

export function clientsView(p: { base: string; csrf: string; scopes: string[]; clients: ClientResponse[]; cursor?: string; nextCursor: string | null }): SafeHtml {
  const post = (c: ClientResponse, action: string, label: string, cls = '') =>
    html`<form method="post" action="${p.base}/${c.id}/${action}" class="inline">${csrfField(p.csrf)}<button type="submit" class="${cls}" aria-label="${label} ${c.name}">${label}</button></form>`;
  const rows = p.clients.map(
    (c) => html`<tr><th scope="row">${c.name}</th><td class="mono">${c.clientId}</td><td>${c.type}</td><td class="mono">${c.grantTypes.join(' ')}</td><td class="mono">${c.scopes.join(' ')}</td>
<td>${when(c.secretRotatedAt, c.type === 'public' ? 'no secret' : 'never')}</td>
<td class="actions">${c.type === 'confidential' ? post(c, 'rotate-secret', 'Rotate secret') : ''}${post(c, 'delete', 'Delete', 'danger')}</td></tr>`,
  );
  return html`<table>
  <caption class="visually-hidden">Clients</caption>
  <thead><tr><th scope="col">Name</th><th scope="col">client_id</th><th scope="col">Type</th><th scope="col">Grants</th><th scope="col">Scopes</th><th scope="col">Secret rotated</th><th scope="col">Actions</th></tr></thead>
  <tbody>${rows.length ? rows : html`<tr><td colspan="7" class="muted">No clients.</td></tr>`}</tbody>
</table>
<p class="hint">Deleting a client ends its sessions and the tokens issued to it. Rotating a secret stops the old one at once.</p>
${pager(p.base, { cursor: p.cursor }, p.nextCursor, !p.cursor)}
<section aria-labelledby="create-client-title">
<h2 id="create-client-title">Create a client</h2>
<form method="post" action="${p.base}">
  ${csrfField(p.csrf)}
  <div class="field"><label for="client-name">Name</label><input id="client-name" name="name" type="text" required maxlength="200"></div>
  <div class="field"><label for="client-type">Type</label><select id="client-type" name="type" aria-describedby="client-type-hint"><option value="confidential">confidential (has a secret)</option><option value="public">public (no secret)</option></select>
  <p class="hint" id="client-type-hint">A confidential client's secret is shown once, after creation.</p></div>
  <fieldset><legend>Grant types</legend>${scopeChecks('grantTypes', 'client-grant', GRANT_TYPES)}</fieldset>
  <fieldset><legend>Scopes</legend>${scopeChecks('scopes', 'client-scope', p.scopes)}</fieldset>
  <button type="submit">Create client</button>
</form>
</section>`;
}
