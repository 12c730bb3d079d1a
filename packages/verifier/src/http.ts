import type { ResolvedOptions } from './options';

export interface JsonAnswer {
  readonly status: 200 | 304;
  readonly body: unknown;
  readonly etag: string | null;
  readonly cacheControl: string | null;
}

export class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** GET `url` as JSON within the timeout; 200 and 304 are answers, anything else throws. */
export async function fetchJson(o: ResolvedOptions, url: string, headers: Record<string, string>): Promise<JsonAnswer> {
  const res = await o.fetch(url, { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(o.timeoutMs) });
  const etag = res.headers.get('etag');
  const cacheControl = res.headers.get('cache-control');
  if (res.status === 304) {
    await res.body?.cancel();
    return { status: 304, body: null, etag, cacheControl };
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new HttpStatusError(res.status);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new Error('answer is not JSON');
  }
  return { status: 200, body, etag, cacheControl };
}

/**
 * Freshness from Cache-Control (RFC 9111 §5.2.2.1), at least a second: a service answering
 * max-age=0 is then revalidated once a second, not once per request.
 */
export function maxAgeMs(cacheControl: string | null, fallbackMs: number): number {
  if (!cacheControl) return fallbackMs;
  if (/(^|,)\s*no-(store|cache)\s*(,|$)/i.test(cacheControl)) return 1000;
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
  return m ? Math.max(1000, Number(m[1]) * 1000) : fallbackMs;
}
