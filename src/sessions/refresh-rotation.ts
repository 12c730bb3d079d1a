import type { HotStatement } from '../database/hot-queries';
import type { TenantSettings } from '../tenants/tenant.entity';

/** Everything a refresh needs, read and claimed in one statement. */
export interface RotationRow {
  /** The presentation's ordinal in its batch (1-based, as text: int8). */
  n?: string;
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

// RFC 9700 §4.14.2 rotation, for a batch of presentations in one statement (issue 12's group
// commit: one round trip and one commit for the rotations of concurrent requests). Each input
// row (its ordinal n) locks its presented token's row and claims it only if it is live, belongs
// to the presenting client, its user and tenant are still valid and the requested scope stays
// within the grant; its successor and audit event are inserted in the same statement. A
// concurrent presentation in another statement waits on the row lock and then sees used_at set:
// only one wins. The caller never puts one token twice in a batch (StatementBatch keyOf).
const ROTATE_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::bytea[], $2::uuid[], $3::timestamptz[], $4::text[], $5::bytea[], $6::uuid[], $7::text[], $8::text[], $9::text[],
                       $10::int[], $11::int[])
    WITH ORDINALITY AS i(presented, client_pk, at, requested, successor_hash, jti, ip, user_agent, client_id, access_ttl, idle_ttl, n)
), presented AS (
  SELECT i.n, t.id AS token_id, t.family_id, t.used_at, t.revoked_at, t.expires_at,
         f.client_id AS family_client_id, f.revoked_at AS family_revoked_at, f.expires_at AS family_expires_at,
         f.scope AS family_scope, u.id AS user_id, u.scopes AS user_scopes, u.disabled_at AS user_disabled_at,
         tn.id AS tenant_id, tn.slug AS tenant_slug, tn.status AS tenant_status, tn.scopes AS tenant_scopes,
         tn.settings AS tenant_settings
  FROM input i
  -- A locking subquery is never flattened into a join, so each presentation is one lookup in
  -- the token_hash index whatever the planner guessed of the table's size when it cached the plan.
  CROSS JOIN LATERAL (
    SELECT id, family_id, used_at, revoked_at, expires_at FROM refresh_tokens WHERE token_hash = i.presented FOR UPDATE
  ) t
  JOIN refresh_token_families f ON f.id = t.family_id
  JOIN users u ON u.id = f.user_id AND u.tenant_id = f.tenant_id
  JOIN tenants tn ON tn.id = f.tenant_id
), claimed AS (
  UPDATE refresh_tokens t SET used_at = i.at
  FROM presented p JOIN input i ON i.n = p.n
  WHERE t.id = p.token_id AND p.used_at IS NULL AND p.revoked_at IS NULL AND p.family_revoked_at IS NULL
    AND p.expires_at > i.at AND p.family_expires_at > i.at AND p.family_client_id = i.client_pk
    AND p.user_disabled_at IS NULL AND p.tenant_status = 'active'
    AND (i.requested IS NULL OR string_to_array(i.requested, ' ') <@ string_to_array(p.family_scope, ' '))
  RETURNING p.n, t.id, t.family_id
), inserted AS (
  INSERT INTO refresh_tokens (family_id, parent_id, token_hash, access_token_jti, access_token_expires_at, created_at, expires_at)
  SELECT c.family_id, c.id, i.successor_hash, i.jti,
         i.at + make_interval(secs => COALESCE((p.tenant_settings->>'accessTokenTtl')::int, i.access_ttl)), i.at,
         LEAST(i.at + make_interval(secs => COALESCE((p.tenant_settings->>'refreshIdleTtl')::int, i.idle_ttl)), p.family_expires_at)
  FROM claimed c JOIN presented p ON p.n = c.n JOIN input i ON i.n = c.n
  RETURNING parent_id
), touched AS (
  UPDATE refresh_token_families f SET last_used_at = i.at FROM claimed c JOIN input i ON i.n = c.n WHERE f.id = c.family_id
), audited AS (
  INSERT INTO audit_events (at, tenant_id, actor, action, target, ip, user_agent, outcome, details)
  SELECT i.at, p.tenant_id, p.user_id::text, 'token.refreshed', c.family_id::text, i.ip, i.user_agent, 'success',
         jsonb_build_object('jti', i.jti::text, 'client_id', i.client_id)
  FROM claimed c JOIN presented p ON p.n = c.n JOIN input i ON i.n = c.n
)
SELECT p.*, EXISTS (SELECT 1 FROM inserted x WHERE x.parent_id = p.token_id) AS claimed FROM presented p`;

export const ROTATE: HotStatement = { name: 'refresh_rotate_batch', text: ROTATE_SQL };

/** One presentation's part of ROTATE: what the request brings and the successor it would get. */
export interface RotationInput {
  presentedHash: Buffer;
  clientPk: string;
  at: Date;
  requested: readonly string[] | null;
  successorHash: Buffer;
  accessJti: string;
  ip: string | null;
  userAgent: string | null;
  clientId: string;
  /** ACCESS_TOKEN_TTL and REFRESH_IDLE_TTL, for tenants whose settings do not set their own. */
  defaultAccessTtl: number;
  defaultIdleTtl: number;
}

/** ROTATE's parameters for a batch: one array per column. */
export function rotationParams(batch: readonly RotationInput[]): unknown[] {
  return [
    batch.map((r) => r.presentedHash),
    batch.map((r) => r.clientPk),
    batch.map((r) => r.at),
    batch.map((r) => (r.requested ? r.requested.join(' ') : null)),
    batch.map((r) => r.successorHash),
    batch.map((r) => r.accessJti),
    batch.map((r) => r.ip),
    batch.map((r) => r.userAgent),
    batch.map((r) => r.clientId),
    batch.map((r) => r.defaultAccessTtl),
    batch.map((r) => r.defaultIdleTtl),
  ];
}

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
