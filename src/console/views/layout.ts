import { html, type SafeHtml } from '../html';
import type { ConsoleCaller } from '../console-auth.service';
import type { ConsoleSession } from '../console-session.store';

export type Theme = 'system' | 'light' | 'dark';

export interface PageOptions {
  title: string;
  theme: Theme;
  caller?: ConsoleCaller;
  /** The tenant the tenant-scoped links point at (the page's, else the caller's own). */
  tenantId?: string;
  active?: string;
  body: SafeHtml;
  flash?: ConsoleSession['flash'];
  /** This page's path, where the theme form comes back to. */
  back?: string;
}

const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

export function themeOf(value: string | undefined): Theme {
  return THEMES.includes(value as Theme) ? (value as Theme) : 'system';
}

function nav(caller: ConsoleCaller, tenantId: string, active: string | undefined): SafeHtml {
  const platform = caller.actor.platform;
  const t = `/console/tenants/${encodeURIComponent(tenantId)}`;
  const links: [string, string, string][] = [
    ['api-keys', 'API keys', `${t}/api-keys`],
    ['users', 'Users', `${t}/users`],
    ['clients', 'Clients', `${t}/clients`],
    ['settings', 'Tenant settings', `${t}/settings`],
    ['quotas', 'Quotas', `${t}/quotas`],
    ['audit', 'Audit events', '/console/audit'],
    ...(platform ? ([['keys', 'Signing keys', '/console/keys'], ['tenants', 'Tenants', '/console/tenants']] as [string, string, string][]) : []),
  ];
  return html`<nav aria-label="Console"><ul>${links.map(
    ([id, label, href]) => html`<li><a href="${href}"${id === active ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>`;
}

export function flashBox(flash: ConsoleSession['flash']): SafeHtml {
  if (!flash) return html``;
  if (flash.kind === 'secret') {
    return html`<section class="secret" aria-labelledby="secret-title">
  <h2 id="secret-title">${flash.text}</h2>
  <p>Copy it now: it is shown only this once and cannot be shown again.</p>
  <label for="secret-value">${flash.label ?? 'Secret'}</label>
  <div class="copy-row"><input id="secret-value" class="mono" readonly value="${flash.secret ?? ''}" autocomplete="off" spellcheck="false">
  <button type="button" data-copy="secret-value">Copy</button></div>
  <p class="copy-status" role="status" aria-live="polite"></p>
</section>`;
  }
  return html`<p class="flash ${flash.kind}" role="${flash.kind === 'error' ? 'alert' : 'status'}">${flash.text}</p>`;
}

export function layout(o: PageOptions): string {
  const caller = o.caller;
  const theme = o.theme === 'system' ? '' : html` data-theme="${o.theme}"`;
  const header = caller
    ? html`<header class="top">
  <a class="brand" href="/console">Tessera console</a>
  ${nav(caller, o.tenantId ?? caller.principal.tenantId, o.active)}
  <div class="who"><span>${caller.principal.tenant} · ${caller.actor.platform ? 'platform admin' : 'tenant admin'}</span>
  <form method="post" action="/console/theme" class="inline">
    <input type="hidden" name="_csrf" value="${caller.session.csrf}">
    <input type="hidden" name="back" value="${o.back ?? '/console'}">
    <label for="theme">Theme</label>
    <select id="theme" name="theme">${THEMES.map((t) => html`<option value="${t}"${t === o.theme ? html` selected` : ''}>${t}</option>`)}</select>
    <button type="submit">Apply</button>
  </form>
  <form method="post" action="/console/logout" class="inline">
    <input type="hidden" name="_csrf" value="${caller.session.csrf}">
    <button type="submit">Log out</button>
  </form></div>
</header>`
    : html`<header class="top"><span class="brand">Tessera console</span></header>`;
  return html`<!doctype html>
<html lang="en"${theme}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${o.title} · Tessera console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script type="module" src="/console/assets/console.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${header}
<main id="main" tabindex="-1">
<h1>${o.title}</h1>
${flashBox(o.flash)}
${o.body}
</main>
</body>
</html>
`.value;
}
