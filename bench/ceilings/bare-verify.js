'use strict';
// A bare Fastify server answering GET /verify with the 204 and the headers of an allowed Tessera
// decision, judging nothing: the HTTP floor under GET /verify on this machine (what the route
// would reach if its credential, policy and Nest layers cost nothing).
//   node bench/ceilings/bare-verify.js <port>
const fastify = require('fastify');

const port = Number(process.argv[2]);
const app = fastify({ logger: false });
app.get('/verify', (req, reply) => {
  reply
    .header('cache-control', 'no-store')
    .header('x-auth-subject', '446a77c0-3261-4034-b507-2c2cf9f7604f')
    .header('x-auth-tenant', 'system')
    .header('x-auth-tenant-id', '94a207be-e7a7-4721-828b-2146f9480fa4')
    .header('x-auth-scope', 'models:list ocr:infer')
    .header('x-auth-client', 'admin-cli')
    .code(204)
    .send();
});
app.listen({ port, host: '127.0.0.1' }).then(() => process.send({ ready: true }));
process.on('disconnect', () => process.exit(0));
