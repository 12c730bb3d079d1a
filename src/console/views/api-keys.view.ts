import type { ApiKeyResponse } from '../../api-keys/dto/api-key.response';
import { html, type SafeHtml } from '../html';
import { csrfField, pager, scopeChecks, when } from './common';

export interface ApiKeysPage {
  base: string;
  csrf: string;
  scopes: string[];
  keys: ApiKeyResponse[];
  nextCursor: string | null;
  cursor?: string;
  now: Date;
}

function status(k: ApiKeyResponse, now: Date): SafeHtml {
  if (k.revokedAt) return html`<span class="state revoked">revoked</span>`;
  if (k.expiresAt && new Date(k.expiresAt) <= now) return html`<span class="state revoked">expired</span>`;
  return html`<span class="state current">active</span>`;
}

export function apiKeysView(p: ApiKeysPage): SafeHtml {
  const rows = p.keys.map(
    (k) => html`<tr>
  <td>${k.revokedAt ? '' : html`<input type="checkbox" name="ids" value="${k.id}" id="key-${k.id}" aria-label="Select ${k.name}">`}</td>
  <th scope="row">${k.name}</th>
  <td class="mono">${k.keyPrefix}…</td>
  <td class="mono">${k.scopes.join(' ')}</td>
  <td>${when(k.expiresAt, 'never')}</td>
  <td>${when(k.lastUsedAt, 'never')}</td>
  <td>${status(k, p.now)}</td>
  <td class="mono">${k.id}</td>
</tr>`,
  );
  return html`<section aria-labelledby="create-title">
<h2 id="create-title">Create an API key</h2>
<form method="post" action="${p.base}">
  ${csrfField(p.csrf)}
  <div class="field"><label for="key-name">Name</label><input id="key-name" name="name" type="text" required maxlength="200" aria-describedby="key-name-hint">
  <p class="hint" id="key-name-hint">What uses it, e.g. ocr-worker.</p></div>
  <fieldset><legend>Scopes</legend>${scopeChecks('scopes', 'scope', p.scopes)}</fieldset>
  <div class="field"><label for="key-expires">Expires on (optional)</label><input id="key-expires" name="expires" type="date" aria-describedby="key-expires-hint">
  <p class="hint" id="key-expires-hint">At the end of that day, UTC. Empty: it does not expire.</p></div>
  <button type="submit">Create API key</button>
</form>
</section>
<section aria-labelledby="list-title">
<h2 id="list-title">API keys</h2>
<form method="post" action="${p.base}/revoke">
  ${csrfField(p.csrf)}
  <table>
    <thead><tr><th scope="col"><input type="checkbox" data-select-all="ids" aria-label="Select all"></th><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col">Id (client_id)</th></tr></thead>
    <tbody>${rows.length ? rows : html`<tr><td colspan="8" class="muted">No API keys yet.</td></tr>`}</tbody>
  </table>
  <p class="hint">Revoking stops a key at once at /token and within seconds at /verify, and ends the access tokens it obtained.</p>
  <button type="submit" class="danger">Revoke selected</button>
</form>
${pager(p.base, { cursor: p.cursor }, p.nextCursor, !p.cursor)}
</section>`;
}
