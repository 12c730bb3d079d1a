/** Contract 2.7: one answer of GET /revocations. Times are epoch seconds. */
export interface FeedAnswer {
  readonly cursor: string;
  readonly jtis: readonly { readonly jti: string; readonly exp: number }[];
  readonly not_before: readonly { readonly tenant_id: string; readonly sub: string | null; readonly nbf: number }[];
  readonly revoked_kids: readonly string[];
}

/** What a revocation check needs of a verified token. */
export interface RevocableToken {
  readonly jti: string;
  readonly iat: number;
  readonly sub: string;
  readonly tenant_id: string;
}

/**
 * A not-before entry may concern tokens issued up to the longest access-token lifetime (60 min)
 * before it, accepted a clock skew (60 s) past their exp: after that it can refuse nothing.
 */
const NOT_BEFORE_RELEVANCE = 3600 + 60;

/**
 * The revocations the feed has told of, merged across polls (the feed may repeat an entry, so
 * merging is idempotent) and judged with map lookups only: this runs on every request.
 */
export class RevocationState {
  private readonly jtis = new Map<string, number>();
  private readonly subjects = new Map<string, number>();
  private readonly tenants = new Map<string, number>();
  private readonly kids = new Set<string>();

  constructor(private readonly leewaySeconds: number) {}

  get size(): number {
    return this.jtis.size + this.subjects.size + this.tenants.size + this.kids.size;
  }

  apply(answer: FeedAnswer): void {
    for (const { jti, exp } of answer.jtis) this.jtis.set(jti, Math.max(exp, this.jtis.get(jti) ?? 0));
    for (const { tenant_id, sub, nbf } of answer.not_before) {
      const map = sub === null ? this.tenants : this.subjects;
      const key = sub === null ? tenant_id : subjectKey(tenant_id, sub);
      map.set(key, Math.max(nbf, map.get(key) ?? 0));
    }
    // A kid once revoked stays refused: the feed lists revoked kids only while Tessera keeps them.
    for (const kid of answer.revoked_kids) this.kids.add(kid);
  }

  /** Drops what can no longer refuse an unexpired token. */
  prune(nowSeconds: number): void {
    for (const [jti, exp] of this.jtis) if (exp + this.leewaySeconds < nowSeconds) this.jtis.delete(jti);
    for (const map of [this.subjects, this.tenants]) {
      for (const [key, nbf] of map) if (nbf + NOT_BEFORE_RELEVANCE < nowSeconds) map.delete(key);
    }
  }

  kidRevoked(kid: string): boolean {
    return this.kids.has(kid);
  }

  /** Why the token is revoked, or null. Not-before is strict and in whole seconds, as Tessera's. */
  revoked(t: RevocableToken): string | null {
    if (this.jtis.has(t.jti)) return 'jti revoked';
    const tenant = this.tenants.get(t.tenant_id);
    if (tenant !== undefined && t.iat < tenant) return 'issued before the tenant’s not-before';
    const subject = this.subjects.get(subjectKey(t.tenant_id, t.sub));
    if (subject !== undefined && t.iat < subject) return 'issued before the subject’s not-before';
    return null;
  }
}

// A tenant id is a UUID, so the first NUL can only be the separator.
const subjectKey = (tenantId: string, sub: string) => `${tenantId}\u0000${sub}`;
