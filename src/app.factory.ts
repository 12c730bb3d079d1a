import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, type AppOptions } from './app.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { ErrorResponder } from './common/error-responder';
import { createLoggers, PinoNestLogger, registerAccessLog } from './common/logging';
import type { AppConfig } from './config/config';

/** Builds and initialises the app (migrations, bootstrap) without listening: main.ts and tests share it. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestFastifyApplication> {
  const loggers = createLoggers(config);
  const adapter = new FastifyAdapter({
    trustProxy: config.trustProxy,
    bodyLimit: 64 * 1024,
    requestIdHeader: 'x-request-id',
    // No Nest middleware here: without this the adapter registers @fastify/middie anyway and
    // runs its hook on every request (about 2% of the main thread's time per token request).
    // A middleware added later fails at start-up, loudly, instead of costing every route.
    skipMiddie: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(new PinoNestLogger(loggers.app));
  const fastify = app.getHttpAdapter().getInstance();
  registerAccessLog(fastify, loggers.access);
  // One error shape for everything: Nest's Fastify adapter routes Fastify's own errors (body
  // parsing, size, content type) into the global filter too.
  app.useGlobalFilters(new AllExceptionsFilter(new ErrorResponder()));
  // Contract 3: the OAuth endpoints take bodies of at most 16 KiB.
  fastify.addHook('onRoute', (route) => {
    if (['/token', '/revoke', '/introspect'].includes(route.url)) route.bodyLimit = 16 * 1024;
  });
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
