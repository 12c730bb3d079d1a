import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { CLOCK_SKEW, MAX_ACCESS_TOKEN_TTL } from '../keys/keys.service';

/** Why tokens of a subject or tenant stop being accepted; kept in token_not_before.reason. */
export type NotBeforeReason =
  | 'logout_all'
  | 'password_change'
  | 'password_reset'
  | 'user_disabled'
  | 'user_deleted'
  | 'tenant_suspended'
  | 'tenant_deleted'
  | 'api_key_revoked'
  | 'client_deleted';

/** Reasons after which the same user may at once get a token that must work. */
const SAME_SECOND_PASSES = new Set<NotBeforeReason>(['logout_all', 'password_change', 'password_reset']);

/** No token issued before an entry's nbf can be unexpired after this many seconds. */
export const NOT_BEFORE_LIFETIME = MAX_ACCESS_TOKEN_TTL + CLOCK_SKEW;

/**
 * Records revocations for every verifier that caches (GET /verify, /introspect, later the
 * revocation feed), always in the transaction of the change that causes them, so a change and
 * its revocation commit together.
 */
@Injectable()
export class RevocationsService {
  constructor(private readonly clock: Clock) {}

  /**
   * From now on, refuse access tokens of `sub` (a user, API key or client id), or with `sub`
   * null of the whole tenant, issued before this instant. Verifiers compare whole seconds (a
   * token's iat has no more). Where the subject can get no new token after the change (a
   * suspended or deleted tenant, a disabled or deleted user, a revoked key, a deleted client),
   * the instant is the next whole second, so a token of this very second is refused too; after a
   * logout-all or a password change the user logs in again at once, so there it is this second
   * (a token of the same second passes; those of the user's sessions are revoked by jti as well).
   */
  async notBefore(m: EntityManager, tenantId: string, sub: string | null, reason: NotBeforeReason): Promise<void> {
    const at = this.clock.now().getTime();
    const now = new Date(SAME_SECOND_PASSES.has(reason) ? at : Math.ceil(at / 1000) * 1000);
    await m.query(`INSERT INTO token_not_before (tenant_id, sub, nbf, reason, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
      tenantId,
      sub,
      now,
      reason,
      new Date(now.getTime() + NOT_BEFORE_LIFETIME * 1000),
    ]);
  }

  /** The latest not-before (epoch seconds) that applies to tokens of `sub` in the tenant; 0 when none. */
  async notBeforeOf(m: EntityManager, tenantId: string, sub: string): Promise<number> {
    const [row] = await m.query(
      `SELECT floor(extract(epoch FROM max(nbf)))::int8 AS nbf FROM token_not_before
       WHERE tenant_id = $1 AND (sub IS NULL OR sub = $2) AND expires_at > $3`,
      [tenantId, sub, this.clock.now()],
    );
    return Number(row?.nbf ?? 0);
  }

  /** Records one access token's jti as revoked until it expires (RFC 7009 for access tokens). */
  async revokeAccessToken(m: EntityManager, token: { jti: string; tenantId: string; expiresAt: Date }, reason: string): Promise<void> {
    if (token.expiresAt <= this.clock.now()) return;
    await m.query(
      `INSERT INTO revoked_access_tokens (jti, tenant_id, expires_at, revoked_at, reason)
       SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1)
       ON CONFLICT (jti) DO NOTHING`,
      [token.jti, token.tenantId, token.expiresAt, this.clock.now(), reason],
    );
  }
}
