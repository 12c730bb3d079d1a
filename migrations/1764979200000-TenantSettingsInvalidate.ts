import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The token endpoint's client_credentials grant reads its tenant from the revocation cache
 * instead of the database (issue 12), and the tenant's settings (token lifetimes) are part of
 * what it needs: a settings change is logged for the caches as slug, status and scope changes
 * already are, so every instance sees it within REVOCATION_CACHE_STALENESS.
 */
export class TenantSettingsInvalidate1764979200000 implements MigrationInterface {
  name = 'TenantSettingsInvalidate1764979200000';

  async up(q: QueryRunner): Promise<void> {
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
  }
}
