import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import { createServer, type IncomingMessage } from 'node:http';
import { NotFoundError } from './common/domain-errors';
import { CONSOLE_PATH } from './console/console-http';
import { METRICS_PATH } from './metrics/metrics.service';

/**
 * ADMIN_LISTEN (contract 4): one Fastify instance serves two HTTP servers, PORT and the admin
 * address, so both share every route, hook, guard and the error filter. Requests that came in
 * through the admin server are remembered; a hook then refuses /admin routes on the public
 * port and everything else on the admin port with the 404 of an unknown route. The decision
 * uses the route Fastify matched, not the raw URL, so no spelling of a path
 * (percent-encoding, say) reaches an admin route from the public port.
 */
export class AdminListener {
  readonly server = createServer();
  private readonly adminRequests = new WeakSet<IncomingMessage>();

  readonly serverFactory: FastifyServerFactory = (handler, options) => {
    this.server.on('request', (req: IncomingMessage, res) => {
      this.adminRequests.add(req);
      handler(req, res);
    });
    const main = createServer(handler);
    // What Fastify applies to the server it makes itself, when no factory is given.
    for (const server of [main, this.server]) {
      server.keepAliveTimeout = numberOr(options.keepAliveTimeout, 72_000);
      server.requestTimeout = numberOr(options.requestTimeout, 0);
      server.setTimeout(numberOr(options.connectionTimeout, 0));
    }
    return main;
  };

  register(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions.url;
      // Contract 3: /metrics is served beside the admin API; so is the console (issue #15).
      const adminRoute = route !== undefined && (route === '/admin' || route.startsWith('/admin/') || route === METRICS_PATH || route === CONSOLE_PATH || route.startsWith(`${CONSOLE_PATH}/`));
      if (adminRoute === this.adminRequests.has(request.raw)) return done();
      // The words of Nest's not-found handler. A domain error, not Nest's NotFoundException: the
      // filter answers problem+json for it on every path, where an HttpException on /token
      // would become an RFC 6749 invalid_request.
      done(new NotFoundError(`Cannot ${request.method} ${request.url}`));
    });
    // Malformed HTTP on the admin port gets Fastify's answer too, as on the public one.
    this.server.on('clientError', (err, socket) => fastify.server.emit('clientError', err, socket));
    fastify.addHook('onClose', (_instance, done) => {
      if (!this.server.listening) return done();
      this.server.close(() => done());
      this.server.closeIdleConnections();
    });
  }
}

const numberOr = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);
