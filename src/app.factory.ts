import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppOptions } from './app.module';
import type { AppConfig } from './config/config';

/** Builds and initialises the app (migrations, bootstrap) without listening: main.ts and tests share it. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ trustProxy: config.trustProxy, bodyLimit: 64 * 1024 });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  try {
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  } catch (err) {
    // Release what did start (pool, embedded database and its DATA_DIR lock) before failing.
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}
