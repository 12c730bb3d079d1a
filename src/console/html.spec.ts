import { escapeHtml, html, SafeHtml, trusted } from './html';

describe('html', () => {
  it('escapes every interpolation', () => {
    const evil = `<script>alert("x")</script>' onload='x' \`y\` &amp;`;
    const sut = html`<p title="${evil}">${evil}</p>`;
    expect(sut.value).toBe(
      `<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x&#39; &#96;y&#96; &amp;amp;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x&#39; &#96;y&#96; &amp;amp;</p>`,
    );
  });

  it('keeps nested fragments and trusted markup, joins arrays, drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${trusted('<hr>')}${0}`.value).toBe('<ul><li>a&lt;b</li><li>c</li></ul><hr>0');
  });

  it('escapes arrays of strings item by item and renders dates as ISO', () => {
    expect(html`${['<i>', '&']}|${new Date(0)}`.value).toBe('&lt;i&gt;&amp;|1970-01-01T00:00:00.000Z');
  });

  it('a fragment is SafeHtml and escapeHtml leaves plain text alone', () => {
    expect(html`x`).toBeInstanceOf(SafeHtml);
    expect(escapeHtml('plain text 123')).toBe('plain text 123');
  });
});
