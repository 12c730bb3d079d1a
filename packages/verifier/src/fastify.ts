import type { FastifyInstance, FastifyReply } from 'fastify';
import { verifierOf, type AdapterOptions } from './adapter-options';
import { refusalResponse, type Refusal } from './refusal';
import type { TesseraVerifier, Verified } from './verifier';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by @tessera/verifier once the token passed; null before, and on its status route. */
    tessera: Verified | null;
  }
}

export type FastifyVerifierPlugin = ((fastify: FastifyInstance, opts: unknown, done: (err?: Error) => void) => void) & {
  readonly verifier: TesseraVerifier;
};

/**
 * A Fastify plugin: the token and route are judged in onRequest, before any body is read; the
 * JSON body's model, where it matters, in preValidation, once Fastify has parsed it. Not
 * encapsulated, so it guards the context it is registered in (wrap it to guard only some routes).
 */
export function fastifyVerifier(options: AdapterOptions): FastifyVerifierPlugin {
  const { verifier, owned } = verifierOf(options);
  const { statusPath } = options;
  const realm = verifier.options.realm;
  const plugin = (fastify: FastifyInstance, _opts: unknown, done: (err?: Error) => void) => {
    fastify.decorateRequest('tessera', null);
    verifier.start();
    if (owned) fastify.addHook('onClose', (_instance, closed) => (verifier.close(), closed()));
    if (statusPath !== undefined) fastify.get(statusPath, (_request, reply) => reply.header('cache-control', 'no-store').send(verifier.status()));
    fastify.addHook('onRequest', async (request, reply) => {
      if (statusPath !== undefined && request.routeOptions.url === statusPath && request.method === 'GET') return;
      const outcome = await verifier.authenticate({ method: request.method, url: request.url, authorization: request.headers.authorization });
      if (!outcome.ok) return send(reply, outcome.refusal, realm);
      request.tessera = outcome.verified;
    });
    fastify.addHook('preValidation', async (request, reply) => {
      if (!request.tessera?.modelPending) return;
      const refusal = verifier.checkModel(request.tessera, request.body);
      if (refusal) return send(reply, refusal, realm);
    });
    done();
  };
  // Fastify's convention (what fastify-plugin sets): the hooks apply to the registering context.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@tessera/verifier' });
  return Object.assign(plugin, { verifier });
}

function send(reply: FastifyReply, refusal: Refusal, realm: string | null): FastifyReply {
  const { status, headers, body } = refusalResponse(refusal, realm);
  return reply.code(status).headers(headers).send(body);
}
