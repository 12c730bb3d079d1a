import type { KeySummary } from '../../keys/dto/key-summary.response';
import { html, type SafeHtml } from '../html';
import { csrfField, when } from './common';

export interface KeyTimes {
  /** When the current key is due to hand over to the next one (scheduled rotation). */
  scheduledRotation: Date | null;
}

/** What each state means for tokens: the lifecycle next → current → retired (or revoked). */
function signs(k: KeySummary, times: KeyTimes): SafeHtml {
  if (k.state === 'next') return html`from the next rotation`;
  if (k.state === 'current') return html`until the next rotation (scheduled ${when(times.scheduledRotation, 'when due')})`;
  if (k.state === 'retired') return html`no more (stopped ${when(k.retiredAt)})`;
  return html`no more (revoked ${when(k.revokedAt)})`;
}

export function keysView(p: { csrf: string; keys: KeySummary[]; times: KeyTimes }): SafeHtml {
  const order = { next: 0, current: 1, retired: 2, revoked: 3 } as Record<string, number>;
  const keys = [...p.keys].sort((a, b) => order[a.state] - order[b.state]);
  return html`<p>Keys move from <strong>next</strong> (published, not yet signing) to <strong>current</strong> (signs every new token) to
<strong>retired</strong> (still published until every token it signed has expired). A <strong>revoked</strong> key is withdrawn at once.</p>
<table>
  <caption class="visually-hidden">Signing keys</caption>
  <thead><tr><th scope="col">Key id</th><th scope="col">State</th><th scope="col">Algorithm</th><th scope="col">Published since</th><th scope="col">Signs</th><th scope="col">Published until</th><th scope="col">Action</th></tr></thead>
  <tbody>${keys.map(
    (k) => html`<tr data-kid="${k.kid}"><th scope="row" class="mono">${k.kid}</th><td><span class="state ${k.state}">${k.state}</span></td><td>${k.alg}</td>
<td>${when(k.publishedAt)}</td><td>${signs(k, p.times)}</td><td>${k.state === 'next' || k.state === 'current' ? 'while in use' : when(k.removeAfter)}</td>
<td>${k.state === 'revoked' ? '' : html`<a href="/console/keys/${k.kid}/revoke">Revoke<span class="visually-hidden"> key ${k.kid}</span></a>`}</td></tr>`,
  )}</tbody>
</table>
<p><a href="/console/keys/rotate">Rotate now…</a></p>`;
}

export function rotateConfirm(p: { csrf: string; next?: KeySummary; current?: KeySummary; retiredUntil: Date }): SafeHtml {
  return html`<div class="warning">
<p>The next key <span class="mono">${p.next?.kid ?? '(none yet)'}</span> starts signing at once; a new next key is published.</p>
<p>Live tokens keep working: the current key <span class="mono">${p.current?.kid ?? ''}</span> becomes retired and stays in the JWKS until
${when(p.retiredUntil)}, after every token it signed has expired. Verifiers with a cached JWKS already hold the next key.</p>
</div>
<form method="post" action="/console/keys/rotate" class="actions">${csrfField(p.csrf)}
<button type="submit">Rotate the signing key</button> <a href="/console/keys">Cancel</a></form>`;
}

export function revokeConfirm(p: { csrf: string; key: KeySummary }): SafeHtml {
  const k = p.key;
  return html`<div class="warning">
<p>Revoking <span class="mono">${k.kid}</span> (${k.state}) withdraws it from the JWKS at once. <strong>Every live token it signed stops working</strong>:
/introspect and /verify refuse them from now on, and verifiers refuse them once they refetch the JWKS. Users and machines holding such tokens must log in again.</p>
${k.state === 'current' ? html`<p>It is the current key: the next key signs from now on, and a new next key is published.</p>` : ''}
</div>
<form method="post" action="/console/keys/${k.kid}/revoke" class="actions">${csrfField(p.csrf)}
<button type="submit" class="danger">Revoke key ${k.kid}</button> <a href="/console/keys">Cancel</a></form>`;
}
