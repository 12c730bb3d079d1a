'use strict';
// A bare Fastify server returning a fixed body with the same headers as Tessera's JWKS:
// the ceiling the JWKS route is compared with.
const fastify = require('fastify');

const [port, body, etag] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const app = fastify({ logger: false });
app.get('/.well-known/jwks.json', (req, reply) => {
  reply
    .header('cache-control', 'public, max-age=300')
    .header('etag', etag)
    .header('content-type', 'application/json; charset=utf-8')
    .send(body);
});
app.listen({ port, host: '127.0.0.1' }).then(() => process.send({ ready: true }));
