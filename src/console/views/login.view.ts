import { html, type SafeHtml } from '../html';

export function loginForm(csrf: string, values: { tenant?: string; username?: string; error?: string } = {}): SafeHtml {
  return html`<form method="post" action="/console/login" class="login">
  ${values.error ? html`<p class="flash error" role="alert">${values.error}</p>` : ''}
  <input type="hidden" name="_csrf" value="${csrf}">
  <div class="field"><label for="tenant">Tenant</label>
    <input id="tenant" name="tenant" type="text" value="${values.tenant ?? ''}" autocomplete="organization" aria-describedby="tenant-hint">
    <p class="hint" id="tenant-hint">The tenant's slug. Leave empty to log in as a platform admin (tenant <code>system</code>).</p></div>
  <div class="field"><label for="username">Username</label>
    <input id="username" name="username" type="text" value="${values.username ?? ''}" autocomplete="username" required></div>
  <div class="field"><label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required></div>
  <button type="submit">Log in</button>
</form>`;
}
