import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import type { AppOptions } from '../../src/app.module';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { createTestDatabase, type TestDatabase } from './test-database';

export const TEST_ADMIN_PASSWORD = 'test-admin-password-1';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly dataSource: DataSource;
  http(): ReturnType<typeof request>;
  close(): Promise<void>;
}

export function testConfig(db: TestDatabase, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    ...db.env,
    ...overrides,
  });
}

export async function startApp(config: AppConfig, options: AppOptions = {}): Promise<TestApp> {
  const app = await createApp(config, options);
  return {
    app,
    config,
    dataSource: app.get(DataSource),
    http: () => request(app.getHttpServer()),
    close: () => app.close(),
  };
}

/** A running app on its own fresh database; close() also drops the database. */
export async function createTestApp(
  overrides: Record<string, string> = {},
  options: AppOptions = {},
): Promise<TestApp> {
  const db = await createTestDatabase();
  try {
    const started = await startApp(testConfig(db, overrides), options);
    return {
      ...started,
      close: async () => {
        await started.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

/** A port nothing listens on right now, for tests whose ISSUER must name the real address. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
