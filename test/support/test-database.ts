import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { resolveDatabaseTarget } from '../../src/database/database.providers';

/** The Postgres server the e2e suite runs against, or null for the embedded default. */
export function serverUrl(): string | null {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || null;
}

export interface TestDatabase {
  /** Environment entries that point the app at this database. */
  readonly env: Record<string, string>;
  readonly embedded: boolean;
  drop(): Promise<void>;
}

async function onServer<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A database no other test touches: a freshly created database on the server when one is
 * configured, else a fresh data directory for the embedded PGlite.
 */
export async function createTestDatabase(opts: { embedded?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const url = opts.embedded ? null : serverUrl();
  if (!url) {
    const template = process.env.TESSERA_TEST_PG_TEMPLATE;
    if (template) cpSync(template, join(dataDir, 'pgdata'), { recursive: true });
    return {
      env: { DATA_DIR: dataDir },
      embedded: true,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  await onServer(url, (c) => c.query(`CREATE DATABASE ${name}`));
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: dbUrl.toString() },
    embedded: false,
    drop: async () => {
      await onServer(url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A bare DataSource (no app) on a fresh test database; close() releases and drops everything. */
export async function openTestDataSource(poolSize = 4): Promise<{ dataSource: DataSource; close(): Promise<void> }> {
  const db = await createTestDatabase();
  const target = await resolveDatabaseTarget(loadConfig({ NODE_ENV: 'test', ...db.env }));
  const dataSource = await new DataSource(dataSourceOptions(target.endpoint, poolSize)).initialize();
  return {
    dataSource,
    async close() {
      await dataSource.destroy();
      await target.release();
      await db.drop();
    },
  };
}
