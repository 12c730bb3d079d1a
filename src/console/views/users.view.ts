import type { SessionSummary } from '../../sessions/refresh-tokens.service';
import type { UserResponse } from '../../users/dto/user.response';
import { MIN_PASSWORD_LENGTH } from '../../users/password-policy';
import { html, type SafeHtml } from '../html';
import { csrfField, pager, scopeChecks, when } from './common';

const POLICY = `At least ${MIN_PASSWORD_LENGTH} characters, not on a list of common passwords, and not the username.`;

function state(u: UserResponse): SafeHtml {
  if (u.disabled) return html`<span class="state disabled">disabled</span>`;
  if (u.lockedUntil) return html`<span class="state revoked">locked until ${when(u.lockedUntil)}</span>`;
  return html`<span class="state current">active</span>`;
}

export function usersView(p: { base: string; csrf: string; scopes: string[]; users: UserResponse[]; q: string; cursor?: string; nextCursor: string | null }): SafeHtml {
  const rows = p.users.map(
    (u) => html`<tr><th scope="row"><a href="${p.base}/${u.id}">${u.username}</a></th><td class="mono">${u.scopes.join(' ')}</td><td>${state(u)}</td><td>${when(u.createdAt)}</td></tr>`,
  );
  return html`<form method="get" action="${p.base}" role="search" class="inline">
  <label for="user-q">Username starts with</label>
  <input id="user-q" name="q" type="search" value="${p.q}" maxlength="200">
  <button type="submit">Search</button>
</form>
<table>
  <caption class="visually-hidden">Users</caption>
  <thead><tr><th scope="col">Username</th><th scope="col">Scopes</th><th scope="col">State</th><th scope="col">Created</th></tr></thead>
  <tbody>${rows.length ? rows : html`<tr><td colspan="4" class="muted">No users${p.q ? ' match' : ' yet'}.</td></tr>`}</tbody>
</table>
${pager(p.base, { q: p.q, cursor: p.cursor }, p.nextCursor, !p.cursor)}
<section aria-labelledby="create-user-title">
<h2 id="create-user-title">Create a user</h2>
<form method="post" action="${p.base}">
  ${csrfField(p.csrf)}
  <div class="field"><label for="new-username">Username</label><input id="new-username" name="username" type="text" required maxlength="200" autocomplete="off"></div>
  <div class="field"><label for="new-password">Password</label><input id="new-password" name="password" type="password" required minlength="${MIN_PASSWORD_LENGTH}" autocomplete="new-password" aria-describedby="new-password-policy">
  <p class="hint" id="new-password-policy">${POLICY}</p></div>
  <fieldset><legend>Scopes</legend>${scopeChecks('scopes', 'user-scope', p.scopes)}</fieldset>
  <button type="submit">Create user</button>
</form>
</section>`;
}

export function userView(p: { base: string; csrf: string; user: UserResponse; sessions: SessionSummary[] }): SafeHtml {
  const u = p.user;
  const post = (action: string, label: string, hidden: SafeHtml | string = '', cls = '') =>
    html`<form method="post" action="${p.base}/${action}" class="inline">${csrfField(p.csrf)}${hidden}<button type="submit" class="${cls}">${label}</button></form>`;
  return html`<dl>
  <dt>State</dt><dd>${state(u)}</dd>
  <dt>Scopes</dt><dd class="mono">${u.scopes.join(' ') || '—'}</dd>
  <dt>Created</dt><dd>${when(u.createdAt)}</dd>
  <dt>Password changed</dt><dd>${when(u.passwordChangedAt)}</dd>
  <dt>Id</dt><dd class="mono">${u.id}</dd>
</dl>
<div class="actions">
  ${u.disabled ? post('enable', 'Enable user') : post('disable', 'Disable user', '', 'danger')}
  ${u.lockedUntil ? post('unlock', 'Unlock') : ''}
</div>
<p class="hint">Disabling ends every session of the user and the access tokens issued from them.</p>
<section aria-labelledby="reset-title">
<h2 id="reset-title">Reset the password</h2>
<form method="post" action="${p.base}/password">
  ${csrfField(p.csrf)}
  <div class="field"><label for="reset-password">New password</label><input id="reset-password" name="password" type="password" required minlength="${MIN_PASSWORD_LENGTH}" autocomplete="new-password" aria-describedby="reset-policy">
  <p class="hint" id="reset-policy">${POLICY} A reset ends every session of the user.</p></div>
  <button type="submit">Reset password</button>
</form>
</section>
<section aria-labelledby="sessions-title">
<h2 id="sessions-title">Sessions</h2>
<table>
  <thead><tr><th scope="col">Client</th><th scope="col">Scope</th><th scope="col">Logged in</th><th scope="col">Last used</th><th scope="col">Expires</th></tr></thead>
  <tbody>${
    p.sessions.length
      ? p.sessions.map((s) => html`<tr><td class="mono">${s.clientId}</td><td class="mono">${s.scope}</td><td>${when(s.createdAt)}</td><td>${when(s.lastUsedAt)}</td><td>${when(s.expiresAt)}</td></tr>`)
      : html`<tr><td colspan="5" class="muted">No live sessions.</td></tr>`
  }</tbody>
</table>
${post('sessions/revoke', 'Revoke all sessions', '', 'danger')}
</section>`;
}
