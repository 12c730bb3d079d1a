import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema of contract section 6. Tenant-owned rows cascade with their tenant;
 * cross-table references carry tenant_id and point at (tenant_id, id), so a row can never
 * reference another tenant's user or client. Audit events outlive what they describe.
 */
export class InitialSchema1763798400000 implements MigrationInterface {
  name = 'InitialSchema1763798400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug text NOT NULL,
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        scopes text[] NOT NULL DEFAULT '{}',
        settings jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        suspended_at timestamptz,
        CONSTRAINT tenants_slug_format CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$')
      )`);
    await q.query(`CREATE UNIQUE INDEX tenants_slug_key ON tenants (slug)`);

    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        username text NOT NULL,
        username_key text NOT NULL,
        password_hash text NOT NULL,
        scopes text[] NOT NULL DEFAULT '{}',
        disabled_at timestamptz,
        password_changed_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_tenant_id_id_key UNIQUE (tenant_id, id)
      )`);
    // username_key is the NFKC, lower-cased username: unique per tenant, case-insensitively.
    await q.query(`CREATE UNIQUE INDEX users_tenant_username_key ON users (tenant_id, username_key)`);

    await q.query(`
      CREATE TABLE user_lockouts (
        user_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        failure_count integer NOT NULL DEFAULT 0,
        window_started_at timestamptz NOT NULL DEFAULT now(),
        lock_count integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        last_failure_at timestamptz,
        FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE TABLE clients (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        client_id text NOT NULL,
        name text NOT NULL,
        type text NOT NULL CHECK (type IN ('public', 'confidential')),
        secret_hash text,
        grant_types text[] NOT NULL DEFAULT '{}',
        scopes text[] NOT NULL DEFAULT '{}',
        audience text,
        secret_rotated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT clients_tenant_id_id_key UNIQUE (tenant_id, id),
        CONSTRAINT clients_secret_iff_confidential CHECK ((type = 'confidential') = (secret_hash IS NOT NULL))
      )`);
    // client_id alone names the tenant at POST /token, so it is unique across tenants.
    await q.query(`CREATE UNIQUE INDEX clients_client_id_key ON clients (client_id)`);
    await q.query(`CREATE INDEX clients_tenant_idx ON clients (tenant_id)`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        name text NOT NULL,
        key_prefix text NOT NULL,
        secret_hash text NOT NULL,
        scopes text[] NOT NULL DEFAULT '{}',
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at)`);

    await q.query(`
      CREATE TABLE refresh_token_families (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL,
        client_id uuid NOT NULL,
        scope text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoke_reason text,
        FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX refresh_token_families_user_idx ON refresh_token_families (tenant_id, user_id) WHERE revoked_at IS NULL`,
    );
    await q.query(`CREATE INDEX refresh_token_families_expires_idx ON refresh_token_families (expires_at)`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        family_id uuid NOT NULL REFERENCES refresh_token_families (id) ON DELETE CASCADE,
        parent_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
        token_hash bytea NOT NULL,
        access_token_jti uuid,
        access_token_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash)`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX refresh_tokens_parent_idx ON refresh_tokens (parent_id)`);

    await q.query(`
      CREATE TABLE revoked_access_tokens (
        jti uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        tenant_id uuid NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz NOT NULL DEFAULT now(),
        reason text
      )`);
    // seq orders the revocation feed; expires_at drives pruning.
    await q.query(`CREATE UNIQUE INDEX revoked_access_tokens_seq_key ON revoked_access_tokens (seq)`);
    await q.query(`CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at)`);

    await q.query(`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        alg text NOT NULL,
        state text NOT NULL CHECK (state IN ('next', 'current', 'retired', 'revoked')),
        public_jwk jsonb NOT NULL,
        private_key_ciphertext bytea NOT NULL,
        kek_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        retired_at timestamptz,
        revoked_at timestamptz,
        remove_after timestamptz
      )`);
    // At most one signing key and one pre-published key at any time.
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current'`);
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next'`);

    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        at timestamptz NOT NULL DEFAULT now(),
        tenant_id uuid,
        actor text,
        action text NOT NULL,
        target text,
        ip text,
        user_agent text,
        outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_events_at_idx ON audit_events (at, id)`);
    await q.query(`CREATE INDEX audit_events_tenant_at_idx ON audit_events (tenant_id, at, id)`);
    await q.query(`CREATE INDEX audit_events_action_at_idx ON audit_events (action, at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'audit_events',
      'signing_keys',
      'revoked_access_tokens',
      'refresh_tokens',
      'refresh_token_families',
      'api_keys',
      'clients',
      'user_lockouts',
      'users',
      'tenants',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
