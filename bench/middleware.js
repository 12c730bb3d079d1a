'use strict';
// @tessera/verifier's verify path (packages/verifier) against raw jose jwtVerify of the same
// RS256 token, in this process, one at a time on one thread (issue 11: at least 0.85x raw jose).
// The middleware runs as in production: a cached JWKS of three keys, revocation checks on, and a
// feed state of tens of thousands of entries from a local stand-in for Tessera.
const { execFileSync } = require('node:child_process');
const { createServer } = require('node:http');
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { SignJWT, exportJWK, generateKeyPair, jwtVerify } = require('jose');
const { ROOT, report } = require('./lib');

const FEED = { jtis: 20_000, subjects: 5_000, tenants: 200 };
const CREDENTIALS = { clientId: 'bench', clientSecret: 'bench-secret' };

/** The JWKS (previous, current and next key) and one feed answer, then 304s. */
async function standIn() {
  const keys = await Promise.all([0, 1, 2].map(() => generateKeyPair('RS256')));
  const jwks = { keys: await Promise.all(keys.map(async ({ publicKey }, i) => ({ ...(await exportJWK(publicKey)), kid: `kid-${i}`, use: 'sig', alg: 'RS256' }))) };
  const exp = Math.floor(Date.now() / 1000) + 900;
  const feed = {
    cursor: '1',
    jtis: Array.from({ length: FEED.jtis }, () => ({ jti: randomUUID(), exp })),
    not_before: [
      ...Array.from({ length: FEED.subjects }, () => ({ tenant_id: randomUUID(), sub: randomUUID(), nbf: exp - 900 })),
      ...Array.from({ length: FEED.tenants }, () => ({ tenant_id: randomUUID(), sub: null, nbf: exp - 900 })),
    ],
    revoked_kids: ['kid-old-1', 'kid-old-2'],
  };
  const server = createServer((req, res) => {
    if (req.url.startsWith('/.well-known/jwks.json')) return res.writeHead(200, { 'cache-control': 'public, max-age=300', etag: '"j"' }).end(JSON.stringify(jwks));
    if (req.headers['if-none-match'] === '"f"') return res.writeHead(304, { etag: '"f"' }).end();
    res.writeHead(200, { 'content-type': 'application/json', etag: '"f"', 'cache-control': 'no-cache' }).end(JSON.stringify(feed));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${server.address().port}`, current: keys[1], kid: 'kid-1' };
}

/**
 * Runs fn for `ms` of wall time; counts operations and this process's CPU time, not the wall
 * clock: on this shared 2-core machine another load takes the core for whole slices, which wall
 * time would count against whichever target happened to run then.
 */
async function slice(fn, ms) {
  const end = Date.now() + ms;
  const cpu0 = process.cpuUsage();
  let ops = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 10; i++) await fn();
    ops += 10;
  }
  const { user, system } = process.cpuUsage(cpu0);
  return { ops, cpuSec: (user + system) / 1e6 };
}

module.exports = async function middleware({ rounds = 60, seconds = 24 } = {}) {
  // The package is built on its own (npm run build builds the service only).
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'packages/verifier/tsconfig.json')], { stdio: 'inherit' });
  const { TesseraVerifier, expressVerifier } = require(join(ROOT, 'packages/verifier/dist'));
  const tessera = await standIn();
  const verifier = new TesseraVerifier({ issuer: tessera.base, revocations: CREDENTIALS });
  try {
    await verifier.ready();
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: randomUUID(), jti: randomUUID(), client_id: 'cli', scope: 'models:list chat:completions', tenant_id: randomUUID(), tenant: 'acme', nbf: now };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: tessera.kid })
      .setIssuer(tessera.base)
      .setAudience(tessera.base)
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .sign(tessera.current.privateKey);
    const joseOptions = { algorithms: ['RS256'], issuer: tessera.base, audience: tessera.base, typ: 'at+jwt', clockTolerance: 30 };
    const authorization = `Bearer ${token}`;
    const express = expressVerifier({ verifier });
    const res = { writeHead: () => { throw new Error('refused'); } };
    const targets = {
      'raw jose jwtVerify': () => jwtVerify(token, tessera.current.publicKey, joseOptions),
      'verifier.authenticate (route + revocations)': async () => {
        const out = await verifier.authenticate({ method: 'POST', url: '/v1/chat/completions', authorization });
        if (!out.ok) throw new Error(out.refusal.detail);
      },
      'expressVerifier (req, res, next)': () => new Promise((next) => express({ method: 'POST', url: '/v1/chat/completions', headers: { authorization } }, res, next)),
    };
    const names = Object.keys(targets);
    for (const name of names) await slice(targets[name], 500);
    // Many short slices, interleaved (every other round reversed), summed per target: drift and
    // another load's bursts fall on every target alike.
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 ? [...names].reverse() : names) runs[name].push(await slice(targets[name], (seconds * 1000) / rounds / names.length));
    }
    const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
    const rows = names.map((name) => {
      const rs = runs[name];
      const rates = rs.map((x) => x.ops / x.cpuSec);
      const opsPerSec = Math.round(rs.reduce((a, x) => a + x.ops, 0) / rs.reduce((a, x) => a + x.cpuSec, 0));
      return { name, opsPerSec, 'slices p10/p50/p90': [0.1, 0.5, 0.9].map((p) => Math.round(pct(rates, p))).join('/') };
    });
    const ratio = (i) => +(rows[i].opsPerSec / rows[0].opsPerSec).toFixed(2);
    return report('middleware', rows, {
      'authenticate / raw jose': ratio(1),
      'express middleware / raw jose': ratio(2),
      target: '>= 0.85',
      'feed state': `${verifier.status().revocationEntries} entries (${FEED.jtis} jtis, ${FEED.subjects} subjects, ${FEED.tenants} tenants, 2 kids)`,
      'jwks keys': 3,
      'how measured': 'one process, one verification at a time (one core), the same RS256 token (2048-bit key), per CPU-second of the process, summed over interleaved slices',
      slices: `${rounds} per target, ${Math.round((seconds * 1000) / rounds / names.length)} ms each`,
    });
  } finally {
    verifier.close();
    tessera.server.close();
  }
};

if (require.main === module) {
  module.exports().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
