/** Columns separated by two spaces, headers in capitals; no trailing blanks. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n');
}

/** An instant to the second, in UTC; `-` for none. */
export function when(at: Date | string | null | undefined): string {
  if (at === null || at === undefined) return '-';
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `label: value` lines with the values aligned. */
export function fields(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(...entries.map(([k]) => k.length)) + 1;
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n');
}
