import type { DataSource } from 'typeorm';
import { runMigrations } from '../src/database/migrate';
import { MIGRATIONS } from '../migrations';
import { openTestDataSource } from './support/test-database';

const TABLES = [
  'api_keys',
  'audit_events',
  'cache_invalidations',
  'clients',
  'refresh_token_families',
  'refresh_tokens',
  'revoked_access_tokens',
  'schema_migrations',
  'signing_keys',
  'tenants',
  'token_not_before',
  'user_lockouts',
  'users',
];

async function tables(ds: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await ds.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

describe('migrations', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ dataSource, close } = await openTestDataSource(4));
  });

  afterEach(async () => {
    await close();
  });

  it('apply the whole schema once, then find nothing pending', async () => {
    expect(await runMigrations(dataSource)).toEqual(MIGRATIONS.map((m) => new m().name));
    expect(await tables(dataSource)).toEqual(TABLES);
    await expect(runMigrations(dataSource)).resolves.toEqual([]);
  });

  it('run once when several runners start together', async () => {
    const results = await Promise.all([runMigrations(dataSource), runMigrations(dataSource), runMigrations(dataSource)]);
    expect(results.map((r) => r.length).sort()).toEqual([0, 0, MIGRATIONS.length]);
  });

  it('revert cleanly and apply again', async () => {
    await runMigrations(dataSource);
    for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration();
    expect(await tables(dataSource)).toEqual(['schema_migrations']);
    await runMigrations(dataSource);
    expect(await tables(dataSource)).toEqual(TABLES);
  });

  it('enforce case-insensitive usernames per tenant and one current signing key', async () => {
    await runMigrations(dataSource);
    const [{ id: tenant }] = await dataSource.query(`INSERT INTO tenants (slug, name) VALUES ('t1', 'T1') RETURNING id`);
    const insertUser = (key: string) =>
      dataSource.query(`INSERT INTO users (tenant_id, username, username_key, password_hash) VALUES ($1, $2, $2, 'x')`, [
        tenant,
        key,
      ]);
    await insertUser('alice');
    await expect(insertUser('alice')).rejects.toThrow(/users_tenant_username_key/);
    const insertKey = (kid: string) =>
      dataSource.query(
        `INSERT INTO signing_keys (kid, alg, state, public_jwk, private_key_ciphertext, kek_id) VALUES ($1, 'RS256', 'current', '{}', '\\x00', 'k')`,
        [kid],
      );
    await insertKey('a');
    await expect(insertKey('b')).rejects.toThrow(/signing_keys_one_current/);
    await expect(
      dataSource.query(`INSERT INTO tenants (slug, name) VALUES ('Not A Slug', 'x')`),
    ).rejects.toThrow(/tenants_slug_format/);
  });
});
