import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';

const RETRY_MS = 1000;
/** An undo still failing after this long is given up (logged): the database was gone that long. */
const GIVE_UP_MS = 10 * 60 * 1000;

// The successor that rotation inserted, if it is still unused, and the presented token it replaced.
const UNDO_SQL = `
WITH undone AS (
  DELETE FROM refresh_tokens s USING refresh_tokens p, refresh_token_families f
  WHERE s.access_token_jti = $1 AND s.used_at IS NULL AND s.revoked_at IS NULL
    AND p.id = s.parent_id AND p.token_hash = $2 AND f.id = s.family_id
  RETURNING s.parent_id, f.id AS family_id, f.tenant_id, f.user_id
), restored AS (
  UPDATE refresh_tokens p SET used_at = NULL FROM undone u WHERE p.id = u.parent_id
)
SELECT family_id, tenant_id, user_id FROM undone`;

/**
 * A refresh rotation whose statement may have committed although its answer never came back
 * (the database connection broke in between). The request answers 503, so the client keeps
 * the token it presented; were the rotation left standing, the client's retry would look like
 * reuse and end the whole login (RFC 9700 §4.14.2), a network fault logging the user out. So
 * the rotation is undone as soon as the database answers: the unused successor deleted, the
 * presented token usable again. A new presentation of that token on this instance waits for
 * the undo first; the rest are retried every second.
 */
@Injectable()
export class UnconfirmedRotations implements OnApplicationShutdown {
  private readonly logger = new Logger(UnconfirmedRotations.name);
  /** By the presented token's hash (hex): that hash, the access-token jti its rotation gave the successor, and since when. */
  private readonly pending = new Map<string, { hash: Buffer; jti: string; since: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** The rotation presenting `presentedHash` failed mid-way: undo it, now or once the database is back. */
  note(presentedHash: Buffer, jti: string): void {
    this.pending.set(presentedHash.toString('hex'), { hash: presentedHash, jti, since: Date.now() });
    this.retrySoon();
  }

  /** Before a presentation of this token is judged, its pending undo (if any) must have run; throws while it cannot. */
  async settle(presentedHash: Buffer): Promise<void> {
    if (this.pending.size && this.pending.has(presentedHash.toString('hex'))) await this.undo(presentedHash.toString('hex'));
  }

  onApplicationShutdown(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private retrySoon(): void {
    if (this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.retryAll().finally(() => this.retrySoon());
    }, RETRY_MS);
    this.timer.unref();
  }

  private async retryAll(): Promise<void> {
    for (const [key, { since }] of [...this.pending]) {
      try {
        await this.undo(key);
      } catch (err) {
        if (Date.now() - since < GIVE_UP_MS) return;
        this.pending.delete(key);
        this.logger.error(`gave up undoing an unconfirmed refresh rotation: ${(err as Error).message}`);
      }
    }
  }

  private async undo(key: string): Promise<void> {
    const entry = this.pending.get(key);
    if (!entry) return;
    await this.dataSource.transaction(async (m) => {
      const rows: { family_id: string; tenant_id: string; user_id: string }[] = await m.query(UNDO_SQL, [entry.jti, entry.hash]);
      for (const row of rows) {
        await this.audit.record(
          { action: 'token.refresh_undone', outcome: 'failure', tenantId: row.tenant_id, actor: row.user_id, target: row.family_id, details: { jti: entry.jti } },
          m,
        );
      }
    });
    // Only the entry this undo was for: a newer failure of the same token keeps its own.
    if (this.pending.get(key) === entry) this.pending.delete(key);
  }
}
