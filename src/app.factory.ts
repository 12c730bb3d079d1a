import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AdminListener } from './admin-listener';
import { AppModule, type AppOptions } from './app.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { ErrorResponder } from './common/error-responder';
import { createLoggers, PinoNestLogger, registerAccessLog } from './common/logging';
import { apiSecurityHeaders, registerHttpHardening, requestIdOf } from './common/http-hardening';
import { OAuthError } from './common/oauth-error';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/config';
import { CONSOLE_AREAS } from './console/console-http';
import { DOCS_AREA, setupOpenApi } from './docs/openapi';
import { directJwks, JWKS_PATH, type DirectAnswer } from './keys/jwks.route';
import { KeysService } from './keys/keys.service';
import { MetricsService } from './metrics/metrics.service';

/** The ADMIN_LISTEN server of each app, for listen() to start. */
const adminServers = new WeakMap<NestFastifyApplication, Server>();

/** Builds and initialises the app (migrations, bootstrap) without listening: main.ts and tests share it. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestFastifyApplication> {
  const loggers = createLoggers(config);
  const admin = config.adminListen ? new AdminListener() : null;
  const adapter = new FastifyAdapter({
    trustProxy: config.trustProxy,
    bodyLimit: 64 * 1024,
    // Taken from the request only when sane (requestIdOf); echoed on every response.
    requestIdHeader: false,
    genReqId: requestIdOf,
    ...(admin ? { serverFactory: admin.serverFactory } : {}),
    // No Nest middleware here: without this the adapter registers @fastify/middie anyway and
    // runs its hook on every request (about 2% of the main thread's time per token request).
    // A middleware added later fails at start-up, loudly, instead of costing every route.
    skipMiddie: true,
    // Fastify's own answer to a request arriving while the app shuts down is a 503 without
    // Retry-After, in a body of its own; the hook below gives the contract's (2.1) instead.
    return503OnClosing: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(new PinoNestLogger(loggers.app));
  const fastify = app.getHttpAdapter().getInstance();
  if (admin) {
    admin.register(fastify);
    adminServers.set(app, admin.server);
  }
  await registerHttpHardening(app, config, [...CONSOLE_AREAS, DOCS_AREA]);
  registerAccessLog(fastify, loggers.access);
  app.get(MetricsService).instrument(fastify);
  const closing = refuseWhileClosing(fastify);
  // One error shape for everything: Nest's Fastify adapter routes Fastify's own errors (body
  // parsing, size, content type, and errors of hooks such as AdminListener's) into the global filter too.
  app.useGlobalFilters(new AllExceptionsFilter(new ErrorResponder()));
  app.useGlobalPipes(createValidationPipe());
  // Contract 3: the OAuth endpoints take bodies of at most 16 KiB.
  fastify.addHook('onRoute', (route) => {
    if (['/token', '/revoke', '/introspect', '/revocations'].includes(route.url)) route.bodyLimit = 16 * 1024;
  });
  setupOpenApi(app, config);
  try {
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    answerBeforeFastify(
      fastify.server,
      directJwks({
        keys: app.get(KeysService),
        maxAge: config.jwksMaxAge,
        securityHeaders: apiSecurityHeaders(config),
        closing,
        count: app.get(MetricsService).responseRecorder(JWKS_PATH, 'GET', 200),
      }),
    );
  } catch (err) {
    // Release what did start (pool, embedded database and its DATA_DIR lock) before failing.
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}

/**
 * A request that reaches the app once it has begun to close (on a keep-alive connection, or
 * in flight) gets 503 temporarily_unavailable with Retry-After and Connection: close, through
 * the one error path, so a client retries, on another instance or after the restart; it is not
 * run against resources that are going away. Found by test/adversarial/restart.adv-spec.ts.
 */
function refuseWhileClosing(fastify: FastifyInstance): () => boolean {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (_request, _reply, done) => {
    done(closing ? new OAuthError('temporarily_unavailable', { retryAfter: 5, detail: 'shutting down' }) : undefined);
  });
  return () => closing;
}

/**
 * Puts `direct` in front of Fastify on the public server: a request it answers never reaches
 * Fastify. Only the public server: the admin address (ADMIN_LISTEN) stays Fastify's alone.
 */
function answerBeforeFastify(server: Server, direct: DirectAnswer): void {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  if (handlers.length !== 1) throw new Error(`expected Fastify's request handler alone on the server, found ${handlers.length} handlers`);
  const [fastifyHandler] = handlers;
  server.removeListener('request', fastifyHandler);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!direct(req, res)) fastifyHandler(req, res);
  });
}

/** Listens on PORT and, with ADMIN_LISTEN, on the admin address too; app.close() closes both. */
export async function listen(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const admin = adminServers.get(app);
  if (admin && config.adminListen) {
    const { host, port } = config.adminListen;
    await new Promise<void>((resolve, reject) => {
      admin.once('error', reject);
      admin.listen(port, host, () => {
        admin.off('error', reject);
        resolve();
      });
    });
  }
  await app.listen({ port: config.port, host: '0.0.0.0' });
  const where = config.adminListen ? `; admin API only on ${config.adminListen.host}:${config.adminListen.port}` : '';
  new Logger('Tessera').log(`listening on port ${config.port}${where}`);
}
