import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { SigningAlg } from '../config/config';
import type { SigningKeyState } from './signing-key.entity';

export interface PublishedKey {
  readonly kid: string;
  readonly alg: string;
  readonly state: SigningKeyState;
  readonly publicJwk: Record<string, string>;
}

export interface CurrentKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateKey: KeyObject;
  /** When it started signing. */
  readonly activatedAt: Date;
}

/**
 * An immutable snapshot of the key set, rebuilt only when the set changes: the JWKS body and
 * its ETag are computed here once, so serving the JWKS costs no query and no key export.
 */
export class KeyRing {
  readonly jwksBody: string;
  readonly etag: string;
  private readonly published: ReadonlyMap<string, PublishedKey>;
  private readonly verifyKeys = new Map<string, KeyObject>();

  constructor(
    readonly current: CurrentKey | null,
    keys: readonly PublishedKey[],
  ) {
    // Contract 2.5: next, current and retired keys are published; revoked ones never.
    const visible = keys.filter((k) => k.state !== 'revoked');
    this.published = new Map(visible.map((k) => [k.kid, k]));
    const jwks = visible.map(({ publicJwk: { kty, ...members }, kid, alg }) => ({ kty, kid, use: 'sig', alg, ...members }));
    this.jwksBody = JSON.stringify({ keys: jwks });
    this.etag = `"${createHash('sha256').update(this.jwksBody).digest('base64url')}"`;
  }

  static empty(): KeyRing {
    return new KeyRing(null, []);
  }

  /** True for a key whose signatures are still accepted: published, not revoked, not removed. */
  accepts(kid: string): boolean {
    return this.published.has(kid);
  }

  /** The public key for verifying a token of this kid, or null if that kid is not accepted. */
  verificationKey(kid: string): { key: KeyObject; alg: string } | null {
    const entry = this.published.get(kid);
    if (!entry) return null;
    let key = this.verifyKeys.get(kid);
    if (!key) {
      key = createPublicKey({ key: entry.publicJwk, format: 'jwk' });
      this.verifyKeys.set(kid, key);
    }
    return { key, alg: entry.alg };
  }

  /** kid:state of every key: equal fingerprints mean equal rings. */
  static fingerprint(keys: readonly { kid: string; state: string }[]): string {
    return keys
      .map((k) => `${k.kid}:${k.state}`)
      .sort()
      .join(',');
  }
}
