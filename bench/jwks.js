'use strict';
// GET /.well-known/jwks.json against a bare Fastify server serving the same bytes, and the raw
// RS256 signing rate, in one run (issue: JWKS at least 0.8x the bare server).
const { startService, runChild, jwtLibraries, compare, report } = require('./lib');

module.exports = async function jwks({ rounds = 5, duration = 4, connections = 50 } = {}) {
  const service = await startService({ port: 3901 });
  let bare;
  try {
    const url = `${service.base}/.well-known/jwks.json`;
    const res = await fetch(url);
    const body = await res.text();
    const etag = res.headers.get('etag');
    bare = (await runChild('ceilings/static-fastify.js', ['3902', body, etag])).child;
    const rows = await compare(
      [
        { name: 'bare fastify, same body', url: 'http://127.0.0.1:3902/.well-known/jwks.json' },
        { name: 'tessera GET /.well-known/jwks.json', url },
        { name: 'tessera, If-None-Match (304)', url, headers: { 'if-none-match': etag }, expect: 304 },
      ],
      { rounds, duration, connections },
    );
    const { msg } = await runChild('ceilings/sign.js', ['5', 'RS256']);
    return report('jwks', rows, {
      'jwks / bare fastify': +(rows[1].requestsPerSec / rows[0].requestsPerSec).toFixed(2),
      target: '>= 0.8',
      'raw RS256 signs/s (1 core)': msg.signsPerSec.RS256,
      'RS256 access tokens/s on 1 core, by library': await jwtLibraries(),
      'service log level': 'info (access log on)',
      connections,
      'seconds per round': duration,
      rounds,
    });
  } finally {
    bare?.kill();
    await service.stop();
  }
};
