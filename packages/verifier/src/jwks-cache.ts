import { importJWK, type JWK, type KeyLike } from 'jose';
import { fetchJson, maxAgeMs } from './http';
import type { ResolvedOptions } from './options';

export interface VerificationKey {
  readonly kid: string;
  /** Pinned by the JWK, never taken from a token's header. */
  readonly alg: 'RS256' | 'ES256' | 'EdDSA';
  readonly key: KeyLike | Uint8Array;
}

/** After a failed fetch, the next attempt waits this long, so a down service is not hammered. */
const RETRY_MS = 5000;

/**
 * Tessera's JWK Set (contract 2.5), kept for its Cache-Control max-age and revalidated with its
 * ETag in the background, so no request waits on a refresh once a set is loaded. A kid the set
 * lacks triggers one refetch, at most once per cooldown, since tokens with invented kids cost a
 * caller nothing to make. A failed fetch keeps the last good set.
 */
export class JwksCache {
  private keys = new Map<string, VerificationKey>();
  private etag: string | null = null;
  private loadedAt: number | null = null;
  private refreshAt = 0;
  private lastFetchAt = -Infinity;
  private inflight: Promise<void> | null = null;
  error: string | null = null;
  /** Fetches started, for status and tests. */
  fetches = 0;

  constructor(private readonly o: ResolvedOptions) {}

  get ageMs(): number | null {
    return this.loadedAt === null ? null : Date.now() - this.loadedAt;
  }

  get loaded(): boolean {
    return this.loadedAt !== null;
  }

  /** The key for `kid` when the set holds it, starting a refresh in the background once it is stale. */
  cached(kid: string): VerificationKey | undefined {
    if (Date.now() >= this.refreshAt) void this.refresh();
    return this.keys.get(kid);
  }

  /** The key for `kid`; null when it is unknown (after at most one refetch per cooldown). */
  async get(kid: string): Promise<VerificationKey | null> {
    const now = Date.now();
    if (now >= this.refreshAt) void this.refresh();
    if (!this.loaded) await this.inflight;
    const key = this.keys.get(kid);
    if (key || !this.loaded) return key ?? null;
    if (now - this.lastFetchAt >= this.o.jwksCooldownMs) void this.refresh();
    await this.inflight;
    return this.keys.get(kid) ?? null;
  }

  /** One fetch at a time; concurrent callers share it. Never rejects. */
  refresh(): Promise<void> {
    if (!this.inflight) {
      this.lastFetchAt = Date.now();
      this.fetches++;
      this.inflight = this.fetchOnce().finally(() => (this.inflight = null));
    }
    return this.inflight;
  }

  private async fetchOnce(): Promise<void> {
    try {
      const res = await fetchJson(this.o, this.o.jwksUrl, this.etag ? { 'if-none-match': this.etag } : {});
      if (res.status !== 304) this.keys = await importSet(res.body);
      this.etag = res.etag ?? (res.status === 304 ? this.etag : null);
      this.loadedAt = Date.now();
      this.refreshAt = this.loadedAt + maxAgeMs(res.cacheControl, 300_000);
      this.error = null;
    } catch (err) {
      this.error = `jwks: ${(err as Error).message}`;
      this.refreshAt = Date.now() + RETRY_MS;
      this.o.onEvent({ type: 'fetch_failed', source: 'jwks', detail: this.error });
    }
  }
}

async function importSet(body: unknown): Promise<Map<string, VerificationKey>> {
  const list = (body as { keys?: unknown })?.keys;
  if (!Array.isArray(list)) throw new Error('not a JWK Set');
  const keys = new Map<string, VerificationKey>();
  for (const jwk of list as JWK[]) {
    const alg = algorithmOf(jwk);
    if (!alg || typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    try {
      keys.set(jwk.kid, { kid: jwk.kid, alg, key: await importJWK(jwk, alg) });
    } catch {
      // A key this runtime cannot import cannot have signed a token we would accept.
    }
  }
  if (keys.size === 0) throw new Error('JWK Set has no usable signing key');
  return keys;
}

/** The JWK's own algorithm, or the one its key type implies; null for anything else. */
function algorithmOf(jwk: JWK): VerificationKey['alg'] | null {
  const implied = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : jwk.kty === 'OKP' && jwk.crv === 'Ed25519' ? 'EdDSA' : null;
  if (jwk.alg === undefined) return implied;
  return jwk.alg === implied ? implied : null;
}
