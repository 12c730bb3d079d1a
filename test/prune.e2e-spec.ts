import { randomUUID } from 'node:crypto';
import { PruneService } from '../src/revocations/prune.service';
import { FakeClock } from './support/fake-clock';
import { createTenant } from './support/fixtures';
import { createTestDatabase, serverUrl, type TestDatabase } from './support/test-database';
import { startApp, testConfig, type TestApp } from './support/test-app';

function isServer(): boolean {
  return serverUrl() !== null;
}

/** Contract 6: expired rows are pruned by a scheduled job that one instance runs at a time. */
describe(PruneService.name, () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = testConfig(db, { AUDIT_RETENTION: '30d' });
    a = await startApp(config, { clock });
    b = await startApp(config, { clock });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
  });

  const count = async (sql: string, params: unknown[] = []) => Number((await a.dataSource.query(sql, params))[0].n);
  const ago = (seconds: number) => new Date(clock.now().getTime() - seconds * 1000);

  it('deletes what nothing can need any more, keeps the rest, and runs on one instance at a time', async () => {
    const t = await createTenant(a);
    const q = (sql: string, params: unknown[]) => a.dataSource.query(sql, params);
    // Revoked jtis: one expired long ago, one still live.
    const [oldJti, liveJti] = [randomUUID(), randomUUID()];
    await q(`INSERT INTO revoked_access_tokens (jti, tenant_id, expires_at) VALUES ($1, $3, $4), ($2, $3, $5)`, [oldJti, liveJti, t.tenantId, ago(600), ago(-600)]);
    // Not-before entries: one past its lifetime, one current.
    await q(`INSERT INTO token_not_before (tenant_id, sub, nbf, reason, expires_at) VALUES ($1, 'old', $2, 'logout_all', $3), ($1, 'new', $4, 'logout_all', $5)`, [
      t.tenantId,
      ago(7200),
      ago(3540),
      ago(10),
      ago(-3650),
    ]);
    // Refresh families: one past its absolute lifetime (its tokens go with it), one alive.
    const [clientPk] = await q(`SELECT id FROM clients WHERE client_id = $1`, [t.publicClientId]);
    const [oldFamily, liveFamily] = [randomUUID(), randomUUID()];
    await q(`INSERT INTO refresh_token_families (id, tenant_id, user_id, client_id, scope, expires_at) VALUES ($1, $3, $4, $5, '', $6), ($2, $3, $4, $5, '', $7)`, [
      oldFamily,
      liveFamily,
      t.tenantId,
      t.user.id,
      clientPk.id,
      ago(60),
      ago(-86400),
    ]);
    await q(`INSERT INTO refresh_tokens (family_id, token_hash, expires_at) VALUES ($1, $2, $3), ($4, $5, $6)`, [
      oldFamily,
      Buffer.from(randomUUID()),
      ago(60),
      liveFamily,
      Buffer.from(randomUUID()),
      ago(-3600),
    ]);
    // Audit events: one older than AUDIT_RETENTION (30 days), one recent.
    await q(`INSERT INTO audit_events (at, tenant_id, action, outcome) VALUES ($1, $3, 'old.event', 'success'), ($2, $3, 'new.event', 'success')`, [
      ago(31 * 86400),
      ago(86400),
      t.tenantId,
    ]);

    const results = await Promise.all([a.app.get(PruneService).prune(), b.app.get(PruneService).prune()]);
    const ran = results.filter((r) => r !== null);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    const total = (key: keyof NonNullable<(typeof results)[0]>) => ran.reduce((sum, r) => sum + r![key], 0);
    expect({ jtis: total('revokedAccessTokens'), notBefore: total('notBefore'), families: total('refreshFamilies'), audit: total('auditEvents') }).toEqual({
      jtis: 1,
      notBefore: 1,
      families: 1,
      audit: 1,
    });

    expect(await count(`SELECT count(*) AS n FROM revoked_access_tokens WHERE jti = ANY($1)`, [[oldJti, liveJti]])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM token_not_before WHERE tenant_id = $1`, [t.tenantId])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM refresh_token_families WHERE id = ANY($1)`, [[oldFamily, liveFamily]])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM refresh_tokens WHERE family_id = ANY($1)`, [[oldFamily, liveFamily]])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1 AND action LIKE '%.event'`, [t.tenantId])).toBe(1);
  });

  // The embedded database is one session: a transaction held open there keeps every other
  // connection waiting, so another instance's run cannot even ask for the lock meanwhile.
  const onServer = isServer();
  (onServer ? it : it.skip)('skips a run while another instance holds the lock', async () => {
    const runner = a.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query(`SELECT pg_advisory_xact_lock(7340221003)`);
      await expect(b.app.get(PruneService).prune()).resolves.toBeNull();
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    await expect(b.app.get(PruneService).prune()).resolves.not.toBeNull();
  });
});
