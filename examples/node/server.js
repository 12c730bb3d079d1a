'use strict';
// A minimal OpenAI-compatible inference stub that checks Tessera access tokens itself.
//
// Offline verification: the signature against Tessera's JWKS (fetched once, cached, refetched
// on an unknown kid at most every 30 s), then alg, typ, iss, aud, exp/nbf/iat and the route's
// scope. No call to Tessera per request. Run:
//
//   TESSERA_ISSUER=http://127.0.0.1:3000 TESSERA_AUDIENCE=http://127.0.0.1:3000 node server.js

const Fastify = require('fastify');
const { createRemoteJWKSet, jwtVerify, errors } = require('jose');

function env(name) {
  const value = (process.env[name] || '').trim();
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const ISSUER = env('TESSERA_ISSUER').replace(/\/+$/, ''); // Tessera strips a trailing slash from its ISSUER too
const AUDIENCE = env('TESSERA_AUDIENCE');
const JWKS_URL = process.env.TESSERA_JWKS_URL || `${ISSUER}/.well-known/jwks.json`;
const LEEWAY = Number(process.env.TESSERA_LEEWAY || 30); // seconds of clock skew tolerated

// jose caches the set and refetches it on an unknown kid, at most once per cooldown.
const jwks = createRemoteJWKSet(new URL(JWKS_URL), {
  cacheMaxAge: 300_000, // Tessera's Cache-Control max-age for the JWKS
  cooldownDuration: 30_000,
  timeoutDuration: 5_000,
});

/** A refusal with an RFC 6750 challenge and a JSON body. */
function refuse(reply, status, error, description, scope) {
  let challenge = 'Bearer';
  if (error) challenge += ` error="${error}"`;
  if (scope) challenge += `, scope="${scope}"`;
  return reply
    .code(status)
    .header('www-authenticate', challenge)
    .send({ error: error || 'unauthorized', error_description: description });
}

/** jose errors that mean Tessera's keys could not be loaded: not the caller's fault. */
function keysUnavailable(err) {
  if (!(err instanceof errors.JOSEError)) return true; // a network error of the fetch
  // A bare JOSEError is what jose throws for a non-200 or non-JSON JWKS response.
  return err.constructor === errors.JOSEError || err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid;
}

/** A preHandler: sets request.claims if the token is valid and holds `scope`. */
function requireScope(scope) {
  return async function (request, reply) {
    const [scheme, ...rest] = (request.headers.authorization || '').split(' ');
    if (scheme.toLowerCase() !== 'bearer') {
      // RFC 6750 §3.1: no credential, no error code in the challenge.
      return refuse(reply, 401, null, 'A bearer token is required.');
    }
    const token = rest.join(' ').trim();
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(token, jwks, {
        algorithms: ['RS256'], // never let the token choose
        typ: 'at+jwt', // RFC 9068
        issuer: ISSUER,
        audience: AUDIENCE,
        clockTolerance: LEEWAY,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (err) {
      if (keysUnavailable(err)) {
        request.log.warn({ err }, 'JWKS unavailable');
        return reply
          .code(503)
          .header('retry-after', '5')
          .send({ error: 'temporarily_unavailable', error_description: 'The signing keys could not be loaded.' });
      }
      return refuse(reply, 401, 'invalid_token', 'The access token is invalid or expired.');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes(scope)) {
      return refuse(reply, 403, 'insufficient_scope', `This route needs the scope ${scope}.`, scope);
    }
    request.claims = claims;
  };
}

function buildServer() {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL || 'info' } });
  app.decorateRequest('claims', null);
  // The OCR route takes the raw image.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 20 * 1024 * 1024 }, (req, body, done) => done(null, body));

  app.get('/v1/models', { preHandler: requireScope('models:list') }, async (request) => ({
    object: 'list',
    data: [{ id: 'stub-model', object: 'model', owned_by: request.claims.tenant }],
  }));

  app.post('/v1/chat/completions', { preHandler: requireScope('chat:completions') }, async (request) => ({
    id: 'chatcmpl-stub',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: (request.body && typeof request.body.model === 'string' && request.body.model) || 'stub-model',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `Hello, ${request.claims.sub}.` } }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  }));

  app.post('/ocr/extract', { preHandler: requireScope('ocr:infer') }, async (request) => ({
    text: '',
    bytes: Buffer.isBuffer(request.body) ? request.body.length : 0,
    subject: request.claims.sub,
  }));

  return app;
}

if (require.main === module) {
  const app = buildServer();
  app
    .listen({ port: Number(process.env.PORT || 8000), host: process.env.HOST || '127.0.0.1' })
    .catch((err) => {
      app.log.error(err);
      process.exit(1);
    });
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => app.close().then(() => process.exit(0)));
}

module.exports = { buildServer };
