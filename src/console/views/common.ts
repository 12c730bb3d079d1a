import { html, type SafeHtml } from '../html';

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

/** A date as people read it (UTC), with the exact instant in <time datetime>. */
export function when(date: Date | string | null | undefined, empty = '—'): SafeHtml {
  if (!date) return html`<span class="muted">${empty}</span>`;
  const d = new Date(date);
  return html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** Checkboxes for a list of scopes, each with its label. */
export function scopeChecks(name: string, idPrefix: string, scopes: readonly string[], checked: readonly string[] = []): SafeHtml {
  return html`<div class="checks">${scopes.map(
    (s, i) => html`<label for="${idPrefix}-${i}"><input type="checkbox" id="${idPrefix}-${i}" name="${name}" value="${s}"${checked.includes(s) ? html` checked` : ''}> <span class="mono">${s}</span></label>`,
  )}</div>`;
}

/** "Next page" link of a keyset-paginated list, keeping the other query parameters. */
export function pager(path: string, query: Record<string, string | undefined>, nextCursor: string | null, first: boolean): SafeHtml {
  const params = (extra: Record<string, string>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, ...extra })) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `${path}?${s}` : path;
  };
  const { cursor: _cursor, ...rest } = query;
  return html`<nav class="pager" aria-label="Pages">${first ? '' : html`<a href="${params({ ...rest, cursor: '' } as Record<string, string>)}">First page</a>`}${
    nextCursor ? html`<a href="${params({ cursor: nextCursor })}" rel="next">Next page</a>` : ''
  }</nav>`;
}
