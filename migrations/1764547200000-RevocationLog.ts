import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What verifiers that cache (GET /verify, and later the revocation feed) follow: revoked jtis,
 * not-before instants per subject or tenant, and invalidations of cached rows (tenants, API
 * keys, signing keys). All three draw `seq` from one sequence, so one cursor orders them all.
 * The invalidations are written by triggers, so no code path that changes those rows can forget.
 */
export class RevocationLog1764547200000 implements MigrationInterface {
  name = 'RevocationLog1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE revocation_seq`);
    await q.query(`SELECT setval('revocation_seq', COALESCE((SELECT max(seq) FROM revoked_access_tokens), 0) + 1, false)`);
    await q.query(`ALTER TABLE revoked_access_tokens ALTER COLUMN seq DROP IDENTITY`);
    await q.query(`ALTER TABLE revoked_access_tokens ALTER COLUMN seq SET DEFAULT nextval('revocation_seq')`);
    await q.query(`ALTER SEQUENCE revocation_seq OWNED BY NONE`);

    // "Refuse tokens of this subject (or, with sub null, of the whole tenant) issued before nbf":
    // logout-all, password change or reset, disable, delete, suspension, an API key's revocation.
    await q.query(`
      CREATE TABLE token_not_before (
        seq bigint PRIMARY KEY DEFAULT nextval('revocation_seq'),
        tenant_id uuid NOT NULL,
        sub text,
        nbf timestamptz NOT NULL,
        reason text NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX token_not_before_expires_idx ON token_not_before (expires_at)`);
    await q.query(`CREATE INDEX token_not_before_subject_idx ON token_not_before (tenant_id, sub)`);

    await q.query(`
      CREATE TABLE cache_invalidations (
        seq bigint PRIMARY KEY DEFAULT nextval('revocation_seq'),
        kind text NOT NULL CHECK (kind IN ('tenant', 'api_key', 'signing_key')),
        id text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX cache_invalidations_at_idx ON cache_invalidations (at)`);

    await q.query(`
      CREATE FUNCTION log_cache_invalidation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO cache_invalidations (kind, id) VALUES (TG_ARGV[0], (CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END).id::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION log_signing_key_invalidation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO cache_invalidations (kind, id) VALUES ('signing_key', (CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END).kid);
        RETURN NULL;
      END $$`);
    // Only what a verifier caches: a tenant's existence, slug, status and offered scopes, an API key's secret, scopes and
    // lifetime, a signing key's state. Renames and settings changes stay out of the log.
    await q.query(`
      CREATE TRIGGER tenants_invalidate AFTER INSERT OR UPDATE OF slug, status, scopes OR DELETE ON tenants
      FOR EACH ROW EXECUTE FUNCTION log_cache_invalidation('tenant')`);
    await q.query(`
      CREATE TRIGGER api_keys_invalidate AFTER UPDATE OF secret_hash, scopes, expires_at, revoked_at, tenant_id OR DELETE ON api_keys
      FOR EACH ROW EXECUTE FUNCTION log_cache_invalidation('api_key')`);
    await q.query(`
      CREATE TRIGGER signing_keys_invalidate AFTER UPDATE OF state OR DELETE ON signing_keys
      FOR EACH ROW EXECUTE FUNCTION log_signing_key_invalidation()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS signing_keys_invalidate ON signing_keys`);
    await q.query(`DROP TRIGGER IF EXISTS api_keys_invalidate ON api_keys`);
    await q.query(`DROP TRIGGER IF EXISTS tenants_invalidate ON tenants`);
    await q.query(`DROP FUNCTION IF EXISTS log_signing_key_invalidation()`);
    await q.query(`DROP FUNCTION IF EXISTS log_cache_invalidation()`);
    await q.query(`DROP TABLE IF EXISTS cache_invalidations`);
    await q.query(`DROP TABLE IF EXISTS token_not_before`);
    await q.query(`ALTER TABLE revoked_access_tokens ALTER COLUMN seq DROP DEFAULT`);
    await q.query(`ALTER TABLE revoked_access_tokens ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY`);
    await q.query(`DROP SEQUENCE IF EXISTS revocation_seq`);
  }
}
