import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { randomToken, sha256 } from '../common/crypto';
import type { TenantSettings } from '../tenants/tenant.entity';

export interface RefreshLifetimes {
  /** Absolute lifetime of the family (one login), seconds. */
  absolute: number;
  /** Idle lifetime: each token expires this long after it was issued, seconds. */
  idle: number;
}

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
}

/** Everything a refresh needs, read and claimed in one statement. */
export interface RotationRow {
  token_id: string;
  family_id: string;
  used_at: Date | null;
  revoked_at: Date | null;
  expires_at: Date;
  family_client_id: string;
  family_revoked_at: Date | null;
  family_expires_at: Date;
  family_scope: string;
  user_id: string;
  user_scopes: string[];
  user_disabled_at: Date | null;
  tenant_id: string;
  tenant_slug: string;
  tenant_status: string;
  tenant_scopes: string[];
  tenant_settings: TenantSettings;
  claimed: boolean;
}

export type RotationOutcome =
  | { kind: 'rotated'; row: RotationRow; token: string }
  | { kind: 'unknown' }
  | { kind: 'reused'; row: RotationRow }
  | { kind: 'refused'; row: RotationRow; reason: string };

export interface RotationRequest {
  presented: string;
  clientPk: string;
  /** The requested narrower scope: checked against the family's grant before claiming. */
  requested: string[] | null;
  accessJti: string;
  /** The access token's iat: the rotation's "now". */
  now: Date;
  /** ACCESS_TOKEN_TTL and REFRESH_IDLE_TTL, for tenants whose settings do not set their own. */
  defaultAccessTtl: number;
  defaultIdleTtl: number;
  clientId: string;
  ip: string | null;
  userAgent: string | null;
}

// RFC 9700 §4.14.2 rotation in one round trip: lock the presented token's row, claim it only
// if it is live, belongs to the presenting client, its user and tenant are still valid and
// the requested scope stays within the grant; insert its successor in the same statement.
// A concurrent presentation waits on the row lock and then sees used_at set: only one wins.
const ROTATE_SQL = `
WITH presented AS (
  SELECT t.id AS token_id, t.family_id, t.used_at, t.revoked_at, t.expires_at,
         f.client_id AS family_client_id, f.revoked_at AS family_revoked_at, f.expires_at AS family_expires_at,
         f.scope AS family_scope, u.id AS user_id, u.scopes AS user_scopes, u.disabled_at AS user_disabled_at,
         tn.id AS tenant_id, tn.slug AS tenant_slug, tn.status AS tenant_status, tn.scopes AS tenant_scopes,
         tn.settings AS tenant_settings
  FROM refresh_tokens t
  JOIN refresh_token_families f ON f.id = t.family_id
  JOIN users u ON u.id = f.user_id AND u.tenant_id = f.tenant_id
  JOIN tenants tn ON tn.id = f.tenant_id
  WHERE t.token_hash = $1
  FOR UPDATE OF t
), claimed AS (
  UPDATE refresh_tokens t SET used_at = $3
  FROM presented p
  WHERE t.id = p.token_id AND p.used_at IS NULL AND p.revoked_at IS NULL AND p.family_revoked_at IS NULL
    AND p.expires_at > $3 AND p.family_expires_at > $3 AND p.family_client_id = $2
    AND p.user_disabled_at IS NULL AND p.tenant_status = 'active'
    AND ($4::text[] IS NULL OR $4::text[] <@ string_to_array(p.family_scope, ' '))
  RETURNING t.id, t.family_id
), inserted AS (
  INSERT INTO refresh_tokens (family_id, parent_id, token_hash, access_token_jti, access_token_expires_at, created_at, expires_at)
  SELECT c.family_id, c.id, $5, $6,
         $3::timestamptz + make_interval(secs => COALESCE((p.tenant_settings->>'accessTokenTtl')::int, $7)), $3,
         LEAST($3::timestamptz + make_interval(secs => COALESCE((p.tenant_settings->>'refreshIdleTtl')::int, $8)), p.family_expires_at)
  FROM claimed c JOIN presented p ON p.token_id = c.id
  RETURNING id
), touched AS (
  UPDATE refresh_token_families f SET last_used_at = $3 FROM claimed c WHERE f.id = c.family_id
), audited AS (
  INSERT INTO audit_events (at, tenant_id, actor, action, target, ip, user_agent, outcome, details)
  SELECT $3, p.tenant_id, p.user_id::text, 'token.refreshed', c.family_id::text, $9, $10, 'success',
         jsonb_build_object('jti', $6::text, 'client_id', $11::text)
  FROM claimed c JOIN presented p ON p.token_id = c.id
)
SELECT p.*, EXISTS (SELECT 1 FROM inserted) AS claimed FROM presented p`;

/** Refresh-token families: issue at login, rotate on use, revoke on reuse or logout. */
@Injectable()
export class RefreshTokensService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** A new family (one login) and its first token. */
  async issue(
    input: { tenantId: string; userId: string; clientPk: string; scope: string; accessJti: string; accessExpiresAt: Date },
    lifetimes: RefreshLifetimes,
  ): Promise<IssuedRefreshToken> {
    const token = randomToken(32);
    const now = this.clock.now();
    const familyId = randomUUID();
    const familyExpires = new Date(now.getTime() + lifetimes.absolute * 1000);
    const tokenExpires = new Date(Math.min(now.getTime() + lifetimes.idle * 1000, familyExpires.getTime()));
    await this.dataSource.query(
      `WITH family AS (
         INSERT INTO refresh_token_families (id, tenant_id, user_id, client_id, scope, created_at, last_used_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id)
       INSERT INTO refresh_tokens (family_id, token_hash, access_token_jti, access_token_expires_at, created_at, expires_at)
       SELECT id, $8, $9, $10, $6, $11 FROM family`,
      [familyId, input.tenantId, input.userId, input.clientPk, input.scope, now, familyExpires, sha256(token), input.accessJti, input.accessExpiresAt, tokenExpires],
    );
    return { token, familyId };
  }

  async rotate(req: RotationRequest): Promise<RotationOutcome> {
    const token = randomToken(32);
    const now = req.now;
    const rows: RotationRow[] = await this.dataSource.query(ROTATE_SQL, [
      sha256(req.presented),
      req.clientPk,
      now,
      req.requested,
      sha256(token),
      req.accessJti,
      req.defaultAccessTtl,
      req.defaultIdleTtl,
      req.ip,
      req.userAgent?.slice(0, 512) ?? null,
      req.clientId,
    ]);
    const row = rows[0];
    if (!row) return { kind: 'unknown' };
    if (row.claimed) return { kind: 'rotated', row, token };
    if (row.used_at || row.revoked_at) {
      const retried = withinGrace(row, req) ? await this.retryWithinGrace(row, req, token) : false;
      return retried ? { kind: 'rotated', row, token } : { kind: 'reused', row };
    }
    return { kind: 'refused', row, reason: refusalReason(row, req, now) };
  }

  /**
   * The tenant's refreshReuseGrace (FAPI 2.0's retry window): a client that lost the response
   * to a refresh may present the same token again shortly after and get a fresh pair. The pair
   * issued first is revoked, so only one chain lives; once that pair has itself been used the
   * chain has moved on and the replay is reuse after all.
   */
  private async retryWithinGrace(row: RotationRow, req: RotationRequest, token: string): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const children: { id: string; used_at: Date | null; access_token_jti: string | null; access_token_expires_at: Date | null }[] =
        await m.query(
          `SELECT id, used_at, access_token_jti, access_token_expires_at FROM refresh_tokens
           WHERE parent_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC FOR UPDATE`,
          [row.token_id],
        );
      const child = children[0];
      if (!child || child.used_at || children.length !== 1) return false;
      const now = req.now;
      await m.query(`UPDATE refresh_tokens SET revoked_at = $2 WHERE id = $1`, [child.id, now]);
      if (child.access_token_jti && child.access_token_expires_at && child.access_token_expires_at > now) {
        await m.query(
          `INSERT INTO revoked_access_tokens (jti, tenant_id, expires_at, revoked_at, reason) VALUES ($1, $2, $3, $4, 'refresh_retry')
           ON CONFLICT (jti) DO NOTHING`,
          [child.access_token_jti, row.tenant_id, child.access_token_expires_at, now],
        );
      }
      const accessTtl = row.tenant_settings.accessTokenTtl ?? req.defaultAccessTtl;
      const idleTtl = row.tenant_settings.refreshIdleTtl ?? req.defaultIdleTtl;
      await m.query(
        `INSERT INTO refresh_tokens (family_id, parent_id, token_hash, access_token_jti, access_token_expires_at, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, LEAST($7::timestamptz, $8::timestamptz))`,
        [
          row.family_id,
          row.token_id,
          sha256(token),
          req.accessJti,
          new Date(now.getTime() + accessTtl * 1000),
          now,
          new Date(now.getTime() + idleTtl * 1000),
          row.family_expires_at,
        ],
      );
      await this.audit.record(
        { action: 'token.refreshed', outcome: 'success', tenantId: row.tenant_id, actor: row.user_id, target: row.family_id, ip: req.ip, userAgent: req.userAgent, details: { jti: req.accessJti, client_id: req.clientId, retry: true } },
        m,
      );
      return true;
    });
  }

  /**
   * RFC 9700 §4.14.2: a used token presented again means it leaked. Revoke the whole family
   * and every unexpired access token issued from it (by jti), in one transaction.
   */
  async revokeFamily(familyId: string, tenantId: string, reason: string, manager?: EntityManager): Promise<void> {
    const run = async (m: EntityManager) => {
      const now = this.clock.now();
      await m.query(
        `UPDATE refresh_token_families SET revoked_at = $2, revoke_reason = $3 WHERE id = $1 AND revoked_at IS NULL`,
        [familyId, now, reason],
      );
      await m.query(`UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, [familyId, now]);
      await m.query(
        `INSERT INTO revoked_access_tokens (jti, tenant_id, expires_at, revoked_at, reason)
         SELECT access_token_jti, $2, access_token_expires_at, $3, $4 FROM refresh_tokens
         WHERE family_id = $1 AND access_token_jti IS NOT NULL AND access_token_expires_at > $3
         ON CONFLICT (jti) DO NOTHING`,
        [familyId, tenantId, now, reason],
      );
    };
    if (manager) await run(manager);
    else await this.dataSource.transaction(run);
  }

  /** Revokes every family of a user except `keepFamilyId` (password change, logout-all). */
  async revokeUserFamilies(tenantId: string, userId: string, reason: string, keepFamilyId: string | null): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const families: { id: string }[] = await m.query(
        `SELECT id FROM refresh_token_families WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND id IS DISTINCT FROM $3`,
        [tenantId, userId, keepFamilyId],
      );
      for (const f of families) await this.revokeFamily(f.id, tenantId, reason, m);
      return families.length;
    });
  }

  async recordReuse(row: RotationRow, context: { ip?: string | null; userAgent?: string | null }): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.revokeFamily(row.family_id, row.tenant_id, 'refresh_token_reuse', m);
      await this.audit.record(
        {
          action: 'refresh_token.reuse_detected',
          outcome: 'failure',
          tenantId: row.tenant_id,
          actor: row.user_id,
          target: row.family_id,
          ip: context.ip,
          userAgent: context.userAgent,
          details: { tokenId: row.token_id },
        },
        m,
      );
    });
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    const rows = await this.dataSource.query(`SELECT 1 FROM revoked_access_tokens WHERE jti = $1`, [jti]);
    return rows.length > 0;
  }
}

/** Eligible for a retry: the token was used (not revoked) within the tenant's grace, and all else holds. */
function withinGrace(row: RotationRow, req: RotationRequest): boolean {
  const grace = Math.min(row.tenant_settings.refreshReuseGrace ?? 0, 60);
  if (grace <= 0 || !row.used_at || row.revoked_at || row.family_revoked_at) return false;
  const now = req.now.getTime();
  return (
    now - row.used_at.getTime() <= grace * 1000 &&
    row.family_client_id === req.clientPk &&
    row.family_expires_at.getTime() > now &&
    !row.user_disabled_at &&
    row.tenant_status === 'active' &&
    (req.requested === null || req.requested.every((s) => row.family_scope.split(' ').includes(s)))
  );
}

function refusalReason(row: RotationRow, req: RotationRequest, now: Date): string {
  if (row.family_client_id !== req.clientPk) return 'refresh token of another client';
  if (row.family_revoked_at) return 'family revoked';
  if (row.expires_at <= now) return 'refresh token idle-expired';
  if (row.family_expires_at <= now) return 'family expired';
  if (row.user_disabled_at) return 'user disabled';
  if (row.tenant_status !== 'active') return 'tenant suspended';
  return 'scope outside the grant';
}
