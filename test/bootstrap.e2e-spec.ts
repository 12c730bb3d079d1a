import { PasswordHasher } from '../src/users/password-hasher';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startApp, testConfig, TEST_ADMIN_PASSWORD, type TestApp } from './support/test-app';

describe('first-start bootstrap', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await db.drop();
  });

  it('creates exactly one system tenant, admin and admin-cli when two instances start at once', async () => {
    const config = testConfig(db);
    apps.push(...(await Promise.all([startApp(config), startApp(config)])));
    const [first] = apps;
    const count = async (sql: string) => Number((await first.dataSource.query(sql))[0].n);
    expect(await count(`SELECT count(*) AS n FROM tenants WHERE slug = 'system'`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM users WHERE username_key = 'admin'`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM clients WHERE client_id = 'admin-cli'`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM audit_events WHERE action = 'system.bootstrap'`)).toBe(1);
  });

  it('gives the admin the platform scope and the ADMIN_PASSWORD, stored as argon2id only', async () => {
    const app = await startApp(testConfig(db));
    apps.push(app);
    const [admin] = await app.dataSource.query(
      `SELECT u.scopes, u.password_hash FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = 'system'`,
    );
    expect(admin.scopes).toEqual(['admin:platform']);
    expect(admin.password_hash).toMatch(/^\$argon2id\$/);
    expect(admin.password_hash).not.toContain(TEST_ADMIN_PASSWORD);
    await expect(app.app.get(PasswordHasher).verify(admin.password_hash, TEST_ADMIN_PASSWORD)).resolves.toBe(true);
    const [client] = await app.dataSource.query(`SELECT type, grant_types, secret_hash FROM clients WHERE client_id = 'admin-cli'`);
    expect(client).toEqual({ type: 'public', grant_types: ['password', 'refresh_token'], secret_hash: null });
  });

  it('creates nothing on a restart, even with another ADMIN_PASSWORD', async () => {
    const first = await startApp(testConfig(db));
    const [before] = await first.dataSource.query(`SELECT id, password_hash FROM users WHERE username_key = 'admin'`);
    await first.close();
    const second = await startApp(testConfig(db, { ADMIN_PASSWORD: 'another-password-42' }));
    apps.push(second);
    const after = await second.dataSource.query(`SELECT id, password_hash FROM users WHERE username_key = 'admin'`);
    expect(after).toEqual([before]);
  });

  it('generates a password and prints it once when ADMIN_PASSWORD is unset', async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const config = { ...testConfig(db), adminPassword: null };
      const app = await startApp(config);
      apps.push(app);
      const printed = writes.join('').match(/password: (\S+)/);
      expect(printed).not.toBeNull();
      const [admin] = await app.dataSource.query(`SELECT password_hash FROM users WHERE username_key = 'admin'`);
      await expect(app.app.get(PasswordHasher).verify(admin.password_hash, printed![1])).resolves.toBe(true);
      writes.length = 0;
      const again = await startApp(config);
      apps.push(again);
      expect(writes.join('')).not.toMatch(/password:/);
    } finally {
      spy.mockRestore();
    }
  });
});
