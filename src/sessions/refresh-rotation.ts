import type { HotStatement } from '../database/hot-queries';
import type { TenantSettings } from '../tenants/tenant.entity';

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

export const ROTATE: HotStatement = { name: 'refresh_rotate', text: ROTATE_SQL };

/** Eligible for a retry: the token was used (not revoked) within the tenant's grace, and all else holds. */
export function withinGrace(row: RotationRow, req: RotationRequest): boolean {
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

export function refusalReason(row: RotationRow, req: RotationRequest, now: Date): string {
  if (row.family_client_id !== req.clientPk) return 'refresh token of another client';
  if (row.family_revoked_at) return 'family revoked';
  if (row.expires_at <= now) return 'refresh token idle-expired';
  if (row.family_expires_at <= now) return 'family expired';
  if (row.user_disabled_at) return 'user disabled';
  if (row.tenant_status !== 'active') return 'tenant suspended';
  return 'scope outside the grant';
}
