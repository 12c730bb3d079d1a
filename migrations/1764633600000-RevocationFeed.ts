import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * For GET /revocations (contract 2.7): each revocation row remembers the transaction that wrote
 * it. A feed cursor is the oldest transaction still running when a poll ran
 * (pg_snapshot_xmin): every row of an older transaction was already visible to that poll, so
 * the next poll asks only for rows of that transaction or newer, and a row whose transaction
 * commits late is never skipped. (Kept as bigint, which TypeORM maps; an xid8 fits.) Tenants' settings join the invalidations: /verify enforces quotas.
 */
export class RevocationFeed1764633600000 implements MigrationInterface {
  name = 'RevocationFeed1764633600000';

  async up(q: QueryRunner): Promise<void> {
    // A function, not a cast in the default: TypeORM strips casts when it reads defaults back.
    await q.query(`CREATE FUNCTION current_xid() RETURNS bigint LANGUAGE sql VOLATILE AS $$ SELECT pg_current_xact_id()::text::bigint $$`);
    for (const table of ['revoked_access_tokens', 'token_not_before']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN xid bigint NOT NULL DEFAULT current_xid()`);
      await q.query(`CREATE INDEX ${table}_xid_idx ON ${table} (xid)`);
    }
    await q.query(`DROP TRIGGER tenants_invalidate ON tenants`);
    await q.query(`
      CREATE TRIGGER tenants_invalidate AFTER INSERT OR UPDATE OF slug, status, scopes, settings OR DELETE ON tenants
      FOR EACH ROW EXECUTE FUNCTION log_cache_invalidation('tenant')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tenants_invalidate ON tenants`);
    await q.query(`
      CREATE TRIGGER tenants_invalidate AFTER INSERT OR UPDATE OF slug, status, scopes OR DELETE ON tenants
      FOR EACH ROW EXECUTE FUNCTION log_cache_invalidation('tenant')`);
    for (const table of ['revoked_access_tokens', 'token_not_before']) {
      await q.query(`DROP INDEX IF EXISTS ${table}_xid_idx`);
      await q.query(`ALTER TABLE ${table} DROP COLUMN IF EXISTS xid`);
    }
    await q.query(`DROP FUNCTION IF EXISTS current_xid()`);
  }
}
