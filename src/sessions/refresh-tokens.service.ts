import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AUDIT_COLUMNS, auditValues, AuditService, type AuditRecord } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { isDatabaseUnavailable } from '../common/database-errors';
import { randomToken, sha256 } from '../common/crypto';
import { decodeCursor, pageOf, pageSize, type Page, type PageQuery } from '../common/pagination';
import { HotQueries, type HotStatement } from '../database/hot-queries';
import { StatementBatch } from '../database/statement-batch';
import { MetricsService } from '../metrics/metrics.service';
import {
  refusalReason,
  ROTATE,
  rotationParams,
  withinGrace,
  type RotationInput,
  type RotationOutcome,
  type RotationRequest,
  type RotationRow,
} from './refresh-rotation';
import { UnconfirmedRotations } from './unconfirmed-rotations';

export interface RefreshLifetimes {
  /** Absolute lifetime of the family (one login), seconds. */
  absolute: number;
  /** Idle lifetime: each token expires this long after it was issued, seconds. */
  idle: number;
}

/** One login as an admin sees it. */
export interface SessionSummary {
  id: string;
  clientId: string;
  scope: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

export interface RefreshTokenDescription {
  id: string;
  familyId: string;
  tenantId: string;
  tenantSlug: string;
  userId: string;
  /** The client's client_id, and its row's primary key. */
  clientId: string;
  clientPk: string;
  audience: string | null;
  scope: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Unused, unrevoked, unexpired, of a live family, an enabled user and an active tenant. */
  active: boolean;
}

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
}

// The writes of a batch of logins in one statement: each login's family, its first token and
// its audit event (group commit, issue 12).
export const ISSUE: HotStatement = {
  name: 'refresh_issue_batch',
  text: `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::timestamptz[],
                                $8::bytea[], $9::uuid[], $10::timestamptz[], $11::timestamptz[],
                                $12::uuid[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])
             AS i(family_id, tenant_id, user_id, client_id, scope, at, family_expires_at,
                  token_hash, jti, access_expires_at, token_expires_at,
                  event_tenant_id, actor, action, target, ip, user_agent, outcome, details)
         ), family AS (
           INSERT INTO refresh_token_families (id, tenant_id, user_id, client_id, scope, created_at, last_used_at, expires_at)
           SELECT family_id, tenant_id, user_id, client_id, scope, at, at, family_expires_at FROM input RETURNING id
         ), token AS (
           INSERT INTO refresh_tokens (family_id, token_hash, access_token_jti, access_token_expires_at, created_at, expires_at)
           SELECT i.family_id, i.token_hash, i.jti, i.access_expires_at, i.at, i.token_expires_at FROM input i JOIN family f ON f.id = i.family_id
         )
         INSERT INTO audit_events (${AUDIT_COLUMNS})
         SELECT at, event_tenant_id, actor, action, target, ip, user_agent, outcome, details::jsonb FROM input`,
};

/** One login's part of ISSUE. */
interface IssueInput {
  familyId: string;
  tenantId: string;
  userId: string;
  clientPk: string;
  scope: string;
  at: Date;
  familyExpires: Date;
  tokenHash: Buffer;
  accessJti: string;
  accessExpiresAt: Date;
  tokenExpires: Date;
  event: AuditRecord;
}

/** ISSUE's parameters for a batch: one array per column. */
function issueParams(batch: readonly IssueInput[]): unknown[] {
  const events = batch.map((i) => auditValues(i.event, i.at));
  return [
    batch.map((i) => i.familyId),
    batch.map((i) => i.tenantId),
    batch.map((i) => i.userId),
    batch.map((i) => i.clientPk),
    batch.map((i) => i.scope),
    batch.map((i) => i.at),
    batch.map((i) => i.familyExpires),
    batch.map((i) => i.tokenHash),
    batch.map((i) => i.accessJti),
    batch.map((i) => i.accessExpiresAt),
    batch.map((i) => i.tokenExpires),
    // The event's columns (AUDIT_COLUMNS) after `at`, which is the family's; details as JSON text.
    ...[1, 2, 3, 4, 5, 6, 7].map((column) => events.map((values) => values[column])),
    events.map((values) => JSON.stringify(values[8])),
  ];
}

/**
 * A login's write waits for the next logins' while fewer than ISSUE_BATCH are gathered and
 * another login's password is being verified, ISSUE_HOLD_MS at most; with no other login under
 * way it goes at once. Logins finish one verification apart, never together, so without a hold
 * they would never share a statement. Measured on the password grant (bench/ab.js login,
 * 2026-12-06): +3.7% (9 of 10 rounds) at four writes or 15 ms; at three or 10 ms, alike, +4.9%,
 * +0% and +2% (6 of 8, 5 of 10, 7 of 10), PostgreSQL's CPU per login −12% to −26%. Pairs (5 ms)
 * about +2%; up to eight (40 ms) worse than four, since answers held back are connections no
 * longer feeding the hashing threads.
 */
const ISSUE_BATCH = 3;
const ISSUE_HOLD_MS = 10;

/** Refresh-token families: issue at login, rotate on use, revoke on reuse or logout. */
@Injectable()
export class RefreshTokensService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hot: HotQueries,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly unconfirmed: UnconfirmedRotations,
  ) {}

  /** Logins on their way to issue(), their passwords being verified. */
  private loginsVerifying = 0;

  /** Logins' writes, one statement and one commit per batch (ISSUE_BATCH, ISSUE_HOLD_MS). */
  private readonly issues = new StatementBatch<IssueInput, never>(
    async (batch) => {
      await this.hot.rows(ISSUE, issueParams(batch));
      return new Map<number, never>();
    },
    { hold: { expected: (queued) => queued < ISSUE_BATCH && this.loginsVerifying > 0, maxMs: ISSUE_HOLD_MS } },
  );

  /** Rotations of concurrent requests, one statement and one commit per batch. */
  private readonly rotations = new StatementBatch<RotationInput, RotationRow>(
    async (batch) => {
      const rows = await this.hot.rows<RotationRow>(ROTATE, rotationParams(batch));
      return new Map(rows.map((row) => [Number(row.n) - 1, row]));
    },
    { keyOf: (input) => input.presentedHash.toString('hex') },
  );

  /**
   * A login whose password is about to be verified, and may then call issue(). Call the
   * returned function once its verification is over, whatever its result: a held write stops
   * waiting for it.
   */
  verifying(): () => void {
    this.loginsVerifying++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.loginsVerifying--;
      this.issues.release();
    };
  }

  /** A new family (one login) and its first token, recorded with the login's audit event. */
  async issue(
    input: { tenantId: string; userId: string; clientPk: string; scope: string; accessJti: string; accessExpiresAt: Date },
    lifetimes: RefreshLifetimes,
    event: AuditRecord,
  ): Promise<IssuedRefreshToken> {
    const token = randomToken(32);
    const now = this.clock.now();
    const familyId = randomUUID();
    const familyExpires = new Date(now.getTime() + lifetimes.absolute * 1000);
    const tokenExpires = new Date(Math.min(now.getTime() + lifetimes.idle * 1000, familyExpires.getTime()));
    await this.issues.submit({
      familyId,
      tenantId: input.tenantId,
      userId: input.userId,
      clientPk: input.clientPk,
      scope: input.scope,
      at: now,
      familyExpires,
      tokenHash: sha256(token),
      accessJti: input.accessJti,
      accessExpiresAt: input.accessExpiresAt,
      tokenExpires,
      event,
    });
    return { token, familyId };
  }

  async rotate(req: RotationRequest): Promise<RotationOutcome> {
    const token = randomToken(32);
    const now = req.now;
    const presentedHash = sha256(req.presented);
    await this.unconfirmed.settle(presentedHash);
    const row = await this.rotations
      .submit({
        presentedHash,
        clientPk: req.clientPk,
        at: now,
        requested: req.requested,
        successorHash: sha256(token),
        accessJti: req.accessJti,
        ip: req.ip,
        userAgent: req.userAgent?.slice(0, 512) ?? null,
        clientId: req.clientId,
        defaultAccessTtl: req.defaultAccessTtl,
        defaultIdleTtl: req.defaultIdleTtl,
      })
      .catch((err: unknown) => {
        // The statement may have committed with its answer lost: no token consumed by a failed request.
        if (isDatabaseUnavailable(err)) this.unconfirmed.note(presentedHash, req.accessJti);
        throw err;
      });
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
   * Revokes, in the caller's transaction, every live family of a tenant, or of one user, one
   * client or one family in it, with their refresh tokens and the unexpired access tokens issued
   * from them (by jti). Returns how many families it revoked.
   */
  async revokeFamilies(
    scope: { tenantId: string; userId?: string; clientPk?: string; familyId?: string; keepFamilyId?: string | null },
    reason: string,
    m: EntityManager,
  ): Promise<number> {
    const now = this.clock.now();
    const rows: { id: string }[] = await m.query(
      `WITH families AS (
         UPDATE refresh_token_families SET revoked_at = $5, revoke_reason = $6
         WHERE tenant_id = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::uuid IS NULL OR client_id = $3)
           AND ($7::uuid IS NULL OR id = $7) AND revoked_at IS NULL AND id IS DISTINCT FROM $4::uuid
         RETURNING id),
       tokens AS (
         UPDATE refresh_tokens t SET revoked_at = $5 FROM families f
         WHERE t.family_id = f.id AND t.revoked_at IS NULL
         RETURNING t.access_token_jti, t.access_token_expires_at),
       revoked AS (
         INSERT INTO revoked_access_tokens (jti, tenant_id, expires_at, revoked_at, reason)
         SELECT DISTINCT access_token_jti, $1::uuid, access_token_expires_at, $5::timestamptz, $6 FROM tokens
         WHERE access_token_jti IS NOT NULL AND access_token_expires_at > $5
         ON CONFLICT (jti) DO NOTHING)
       SELECT id FROM families`,
      [scope.tenantId, scope.userId ?? null, scope.clientPk ?? null, scope.keepFamilyId ?? null, now, reason, scope.familyId ?? null],
    );
    return rows.length;
  }

  /** A user's live sessions (refresh families), newest first, a page at a time. */
  async listUserFamilies(tenantId: string, userId: string, page: PageQuery): Promise<Page<SessionSummary>> {
    const limit = pageSize(page);
    const after = page.cursor ? decodeCursor(page.cursor) : null;
    const rows: (SessionSummary & { pageAt: string })[] = await this.dataSource.query(
      `SELECT f.id, c.client_id AS "clientId", f.scope, f.created_at AS "createdAt", f.last_used_at AS "lastUsedAt",
              f.expires_at AS "expiresAt", f.created_at::text AS "pageAt"
       FROM refresh_token_families f JOIN clients c ON c.id = f.client_id
       WHERE f.tenant_id = $1 AND f.user_id = $2 AND f.revoked_at IS NULL AND f.expires_at > $3
         AND ($4::timestamptz IS NULL OR (f.created_at, f.id) < ($4::timestamptz, $5::uuid))
       ORDER BY f.created_at DESC, f.id DESC LIMIT $6`,
      [tenantId, userId, this.clock.now(), after?.at ?? null, after?.id ?? null, limit + 1],
    );
    const { items, nextCursor } = pageOf(rows, limit, (r) => r.pageAt);
    return { items: items.map(({ pageAt: _, ...session }) => session), nextCursor };
  }

  /**
   * RFC 9700 §4.14.2: a used token presented again means it leaked. The whole family goes, with
   * every unexpired access token issued from it (by jti), and the event is recorded.
   */
  async recordReuse(row: RotationRow, context: { ip?: string | null; userAgent?: string | null }): Promise<void> {
    this.metrics.reuseDetected.inc();
    await this.dataSource.transaction(async (m) => {
      await this.revokeFamilies({ tenantId: row.tenant_id, familyId: row.family_id }, 'refresh_token_reuse', m);
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

  /** What /introspect and /revoke need of a presented refresh token; null when no such token. */
  async describe(token: string): Promise<RefreshTokenDescription | null> {
    const rows: RefreshTokenDescription[] = await this.dataSource.query(
      `SELECT t.id, t.family_id AS "familyId", f.tenant_id AS "tenantId", tn.slug AS "tenantSlug", f.user_id AS "userId",
              c.client_id AS "clientId", c.id AS "clientPk", c.audience, f.scope, t.created_at AS "issuedAt",
              LEAST(t.expires_at, f.expires_at) AS "expiresAt",
              (t.used_at IS NULL AND t.revoked_at IS NULL AND f.revoked_at IS NULL AND t.expires_at > $2 AND f.expires_at > $2
               AND u.disabled_at IS NULL AND tn.status = 'active') AS active
       FROM refresh_tokens t
       JOIN refresh_token_families f ON f.id = t.family_id
       JOIN clients c ON c.id = f.client_id
       JOIN tenants tn ON tn.id = f.tenant_id
       JOIN users u ON u.id = f.user_id AND u.tenant_id = f.tenant_id
       WHERE t.token_hash = $1`,
      [sha256(token), this.clock.now()],
    );
    return rows[0] ?? null;
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    const rows = await this.dataSource.query(`SELECT 1 FROM revoked_access_tokens WHERE jti = $1`, [jti]);
    return rows.length > 0;
  }
}

