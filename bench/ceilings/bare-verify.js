'use strict';
// A bare Fastify server answering GET /verify with a fixed 204 carrying the headers of a real
// allowed Tessera answer, judging nothing: the HTTP floor under GET /verify on this machine
// (what the route would reach if its credential checks, policy and other layers cost nothing).
//   node bench/ceilings/bare-verify.js <port> <headers json>
const fastify = require('fastify');

const port = Number(process.argv[2]);
const headers = JSON.parse(process.argv[3]);
const app = fastify({ logger: false });
app.get('/verify', (req, reply) => {
  reply.headers(headers).code(204).send();
});
app.listen({ port, host: '127.0.0.1' }).then(() => process.send({ ready: true }));
process.on('disconnect', () => process.exit(0));
