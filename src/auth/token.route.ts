import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorResponder } from '../common/error-responder';
import type { TokenThrottle } from '../throttling/token-throttle';
import type { TokenService } from './token.service';

export const TOKEN_PATH = '/token';

/**
 * POST /token (RFC 6749 §3.2, contract 2.1) as a plain Fastify route, like the JWKS and
 * /verify. Nest's router, guards, pipes and filter around a handler cost about a quarter of a
 * client_credentials grant's time on the event loop (issue 12: 2,570/s against 2,020/s on this
 * 2-core machine). What they did for this route is done here: throttling (TokenThrottle), the
 * no-store headers, and errors through the same ErrorResponder as every other route; the
 * body is parsed, limited and access-logged by the same Fastify instance, and the OpenAPI
 * document describes the route by hand (src/docs/openapi.ts).
 */
export function registerTokenRoute(fastify: FastifyInstance, tokens: TokenService, throttle: TokenThrottle): void {
  const errors = new ErrorResponder();
  fastify.route({
    method: 'POST',
    url: TOKEN_PATH,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        await throttle.check(request, reply);
        const answer = await tokens.exchange(request.body, {
          authorization: request.headers.authorization,
          ip: request.ip ?? null,
          userAgent: request.headers['user-agent'] ?? null,
        });
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(answer);
      } catch (err) {
        errors.respond(err, request, reply);
        return reply;
      }
    },
  });
}
