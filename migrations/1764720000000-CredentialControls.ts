import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-credential controls (issue 11): where an API key or confidential client may be used from
 * (`allowed_ips`, CIDRs as the admin wrote them; null allows any address), and an API key's
 * rotation with a grace period (the previous secret's hash and when it stops working).
 * /verify caches API key rows, so the invalidation trigger now also fires on the new columns.
 */
export class CredentialControls1764720000000 implements MigrationInterface {
  name = 'CredentialControls1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN allowed_ips text[], ADD COLUMN previous_secret_hash text, ADD COLUMN previous_secret_expires_at timestamptz`);
    // An empty list would be a key nobody may use: the admin API refuses it, and so does the table.
    await q.query(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_allowed_ips_not_empty CHECK (allowed_ips IS NULL OR cardinality(allowed_ips) > 0)`);
    await q.query(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_previous_secret_check CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL))`);
    await q.query(`ALTER TABLE clients ADD COLUMN allowed_ips text[]`);
    await q.query(`ALTER TABLE clients ADD CONSTRAINT clients_allowed_ips_not_empty CHECK (allowed_ips IS NULL OR cardinality(allowed_ips) > 0)`);
    // A public client proves nothing about itself, so an address list on it would only suggest a control that is not there.
    await q.query(`ALTER TABLE clients ADD CONSTRAINT clients_allowed_ips_confidential CHECK (allowed_ips IS NULL OR type = 'confidential')`);
    await q.query(`DROP TRIGGER api_keys_invalidate ON api_keys`);
    await q.query(`
      CREATE TRIGGER api_keys_invalidate
      AFTER UPDATE OF secret_hash, previous_secret_hash, previous_secret_expires_at, allowed_ips, scopes, expires_at, revoked_at, tenant_id OR DELETE ON api_keys
      FOR EACH ROW EXECUTE FUNCTION log_cache_invalidation('api_key')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER api_keys_invalidate ON api_keys`);
    await q.query(`
      CREATE TRIGGER api_keys_invalidate AFTER UPDATE OF secret_hash, scopes, expires_at, revoked_at, tenant_id OR DELETE ON api_keys
      FOR EACH ROW EXECUTE FUNCTION log_cache_invalidation('api_key')`);
    await q.query(`ALTER TABLE clients DROP CONSTRAINT IF EXISTS clients_allowed_ips_confidential`);
    await q.query(`ALTER TABLE clients DROP CONSTRAINT IF EXISTS clients_allowed_ips_not_empty`);
    await q.query(`ALTER TABLE clients DROP COLUMN IF EXISTS allowed_ips`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_previous_secret_check`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_allowed_ips_not_empty`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN IF EXISTS previous_secret_expires_at, DROP COLUMN IF EXISTS previous_secret_hash, DROP COLUMN IF EXISTS allowed_ips`);
  }
}
