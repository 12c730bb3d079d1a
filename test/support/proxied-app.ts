import { acquireEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import { startApp, testConfig, type TestApp } from './test-app';
import { createTestDatabase, type TestDatabase } from './test-database';

/** An app whose every database connection goes through a TCP proxy the test controls. */
export interface ProxiedApp {
  readonly db: TestDatabase;
  readonly proxy: TcpProxy;
  /** The app's DATABASE_URL, through the proxy. */
  readonly databaseUrl: string;
  start(overrides?: Record<string, string>): Promise<TestApp>;
  close(): Promise<void>;
}

/**
 * A fresh database (the embedded PGlite served on a loopback port, or a new database on the
 * server), a proxy in front of it, and apps started on it; close() stops everything it started.
 * The shared Postgres server itself is never touched: only the proxy's connections are cut.
 */
export async function proxiedDatabase(): Promise<ProxiedApp> {
  const db = await createTestDatabase();
  let release: () => Promise<void> = async () => undefined;
  let target: { host: string; port: number; database: string };
  if (db.embedded) {
    const embedded = await acquireEmbeddedPostgres(db.env.DATA_DIR);
    release = embedded.release;
    target = { ...embedded.endpoint, database: 'postgres' };
  } else {
    const url = new URL(db.env.DATABASE_URL);
    target = { host: url.hostname, port: Number(url.port || 5432), database: url.pathname.slice(1) };
  }
  const proxy = await startTcpProxy(target);
  const databaseUrl = `postgres://postgres@127.0.0.1:${proxy.port}/${target.database}`;
  const apps: TestApp[] = [];
  return {
    db,
    proxy,
    databaseUrl,
    async start(overrides = {}) {
      const app = await startApp(testConfig(db, { DATABASE_URL: databaseUrl, ...overrides }));
      apps.push(app);
      return app;
    },
    async close() {
      proxy.restore();
      for (const app of apps) await app.close().catch(() => undefined);
      await proxy.close();
      await release();
      await db.drop();
    },
  };
}
