'use strict';
// A bare node:http server, in a process of its own, answering every request with the bytes and
// headers it is given (Tessera's JWKS answer, recorded once): what one Node event loop on this
// machine can serve of that answer, beside the load generator, with no application around it.
//   node static-http.js <port> <json: { headers, body }>
const http = require('node:http');

const port = Number(process.argv[2]);
const { headers, body } = JSON.parse(process.argv[3]);
const bytes = Buffer.from(body);
// Node adds Date, Connection and Keep-Alive itself, as it does for the service.
const fixed = { ...headers, 'content-length': String(bytes.length) };
const server = http.createServer({ keepAliveTimeout: 72_000 }, (req, res) => {
  res.writeHead(200, fixed);
  res.end(bytes);
});
server.listen(port, '127.0.0.1', () => process.send({ ready: true, pid: process.pid }));
