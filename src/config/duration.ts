const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses "900", "90s", "15m", "12h" or "30d" into whole seconds; null when malformed. */
export function parseDurationSeconds(raw: string): number | null {
  const match = /^(\d{1,9})([smhd]?)$/.exec(raw.trim());
  if (!match) return null;
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
}

export interface Rate {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Parses "<count>/<duration>", e.g. "300/60s" or "10/15m"; null when malformed. */
export function parseRate(raw: string): Rate | null {
  const [count, window, ...rest] = raw.trim().split('/');
  if (rest.length || !/^\d{1,9}$/.test(count ?? '')) return null;
  const windowSeconds = parseDurationSeconds(window ?? '');
  const limit = Number(count);
  if (windowSeconds === null || windowSeconds === 0 || limit === 0) return null;
  return { limit, windowSeconds };
}
