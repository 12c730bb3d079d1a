'use strict';
// A bare node:http server, in a process of its own, whose request listener is the service's own
// direct JWKS answer (directJwks from the build, with its metrics recorder): what the answer's
// code costs without the rest of the application in the process.
//   node direct-jwks.js <port> <json: { etag, body, maxAge, securityHeaders }>   (npm run build first)
const http = require('node:http');
const { join } = require('node:path');
const { directJwks } = require(join(__dirname, '../../dist/src/keys/jwks.route'));
const { ResponseTally } = require(join(__dirname, '../../dist/src/metrics/response-tally'));

const port = Number(process.argv[2]);
const { etag, body, maxAge, securityHeaders } = JSON.parse(process.argv[3]);
const answer = directJwks({
  keys: { ring: { etag, jwksBody: body } },
  maxAge,
  securityHeaders,
  closing: () => false,
  count: new ResponseTally().recorder('/.well-known/jwks.json', 'GET', 200),
});
const server = http.createServer({ keepAliveTimeout: 72_000 }, (req, res) => {
  if (!answer(req, res)) {
    res.writeHead(404).end();
  }
});
server.listen(port, '127.0.0.1', () => process.send({ ready: true, pid: process.pid }));
