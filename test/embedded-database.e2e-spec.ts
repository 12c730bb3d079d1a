import { Pool } from 'pg';
import { acquireEmbeddedPostgres } from '../src/database/embedded-postgres';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startApp, testConfig } from './support/test-app';

// These exercise the embedded PGlite itself, so they run on it whichever backend the suite uses.
describe('embedded database', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase({ embedded: true });
  });

  afterEach(async () => {
    await db.drop();
  });

  it('keeps its data across a restart of the app', async () => {
    const config = testConfig(db);
    const first = await startApp(config);
    const [{ id }] = await first.dataSource.query(`SELECT id FROM tenants WHERE slug = 'system'`);
    await first.dataSource.query(`INSERT INTO tenants (slug, name) VALUES ('persisted', 'Persisted')`);
    await first.close();

    const second = await startApp(config);
    try {
      const rows = await second.dataSource.query(`SELECT slug, id FROM tenants ORDER BY slug`);
      expect(rows).toEqual([
        { slug: 'persisted', id: expect.any(String) },
        { slug: 'system', id },
      ]);
    } finally {
      await second.close();
    }
  });

  it('keeps concurrent connections and their transactions apart', async () => {
    const { endpoint, release } = await acquireEmbeddedPostgres(db.env.DATA_DIR);
    const pool = new Pool({ ...endpoint, user: 'postgres', database: 'postgres', max: 6 });
    try {
      await pool.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
      await pool.query('INSERT INTO counter VALUES (1, 0)');
      // Read-modify-write in a transaction: lost updates would show if transactions interleaved.
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const { rows } = await client.query('SELECT n, $1::int AS echo FROM counter WHERE id = 1', [i]);
            expect(rows[0].echo).toBe(i);
            await client.query('UPDATE counter SET n = $1 WHERE id = 1', [rows[0].n + 1]);
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }),
      );
      const echoes = await Promise.all(
        Array.from({ length: 100 }, (_, i) => pool.query('SELECT $1::text AS v', [`v${i}`])),
      );
      expect(echoes.map((r) => r.rows[0].v)).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`));
      expect((await pool.query('SELECT n FROM counter')).rows[0].n).toBe(40);
    } finally {
      await pool.end();
      await release();
    }
  });

  it('rolls back the open transaction of a connection that drops', async () => {
    const { endpoint, release } = await acquireEmbeddedPostgres(db.env.DATA_DIR);
    const pool = new Pool({ ...endpoint, user: 'postgres', database: 'postgres', max: 2 });
    try {
      await pool.query('CREATE TABLE t (v int)');
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query('INSERT INTO t VALUES (1)');
      client.release(new Error('drop it'));
      // Another connection gets the backend and does not see the abandoned insert.
      expect((await pool.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(0);
    } finally {
      await pool.end();
      await release();
    }
  });
});
