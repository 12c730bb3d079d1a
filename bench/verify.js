'use strict';
// GET /verify (nginx auth_request form) and POST /introspect (RFC 7662), each measured in
// interleaved rounds beside the raw single-core jose RS256 verify rate (ceilings/jose-verify.js)
// of a real Tessera access token. Issue target: /verify with valid JWTs at least 0.45x the jose
// ceiling, p99 under 10 ms, no non-2xx answer.
//   verify:     the embedded database (or DATABASE_URL when set, like jwks); /verify queries no
//               database for a credential its caches know.
//   introspect: one service on the embedded database and one on a fresh database of the local
//               PostgreSQL server (or BENCH_DATABASE_URL), as the grants: an introspection polls
//               the revocation log first, so the database is on its path.
// Credentials: verify-setup.js (the admin API and POST /token, as an operator would).
const { readFileSync } = require('node:fs');
const { startService, freshDatabase, runChild, compare, report } = require('./lib');
const { FORM, USERS, API_KEYS, NGINX_MODELS, NGINX_OCR, SERVICE_ENV, verifiedCacheSize, inParallel, call, credentials, keysAndIssuer } = require('./verify-setup');

const ratio = (a, b) => +(a.requestsPerSec / b.requestsPerSec).toFixed(2);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The jose ceiling as a compare() target: a child process verifying for the round's duration. */
function joseCeiling(base, sample) {
  return {
    name: 'raw jose jwtVerify RS256, 1 core (verifies/s)',
    async measure({ duration }) {
      const { child, msg } = await runChild('ceilings/jose-verify.js', [String(duration), sample, ...(await keysAndIssuer(base))]);
      // Gone before the round's CPU accounting ends (lib.js otherPercent).
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      return { name: this.name, requestsPerSec: msg.verifiesPerSec, ceilingCores: msg.cores };
    },
  };
}

async function bareVerifyRate(base, sample, mode) {
  return (await runChild('ceilings/jose-verify.js', ['5', sample, ...(await keysAndIssuer(base)), mode])).msg.verifiesPerSec;
}

/** Each row's rate as a share of the ceiling (rows[0]). */
const withRatios = (rows) => rows.map((row) => ({ ...row, 'x jose': ratio(row, rows[0]) }));

/** The headers of an allowed /verify answer, but those Node's HTTP server adds itself. */
async function allowedHeaders(url, jwt) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${jwt}`, ...NGINX_MODELS } });
  if (res.status !== 204) throw new Error(`GET /verify: ${res.status}`);
  const own = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
  return Object.fromEntries([...res.headers].filter(([name]) => !own.has(name)));
}

/** One /verify of each token, so a round starts with them verified (the unseen pool clears the map). */
const touch = (base, tokens) =>
  inParallel(tokens, 8, (t) => call(base, '/verify', { headers: { authorization: `Bearer ${t}`, ...NGINX_MODELS }, expect: [204] }));

async function verify({ rounds = 5, duration = 5, connections = Number(process.env.BENCH_CONNECTIONS) || 32 } = {}) {
  const service = await startService({ port: 3941, env: SERVICE_ENV });
  let bare;
  try {
    const base = service.base;
    const poolSize = Math.ceil(verifiedCacheSize() * 1.2);
    const { userTokens, apiKeys, pool } = await credentials(base, { poolSize });
    const url = `${base}/verify`;
    bare = (await runChild('ceilings/bare-verify.js', ['3944', JSON.stringify(await allowedHeaders(url, userTokens[0]))])).child;
    const bearer = (t) => ({ headers: { authorization: `Bearer ${t}` } });
    let next = 0;
    const rows = withRatios(
      await compare(
        [
          joseCeiling(base, userTokens[0]),
          {
            name: `GET /verify, ${USERS} users' JWTs rotated`,
            url,
            headers: NGINX_MODELS,
            requests: userTokens.map(bearer),
            expect: 204,
            prepare: () => touch(base, userTokens),
          },
          { name: 'GET /verify, one JWT repeated', url, headers: { ...NGINX_MODELS, authorization: `Bearer ${userTokens[1]}` }, expect: 204, prepare: () => touch(base, [userTokens[1]]) },
          {
            name: `GET /verify, a JWT not in its cache each request (${poolSize} cycled)`,
            url,
            headers: NGINX_MODELS,
            // Shared by all connections, in order: see verifiedCacheSize().
            requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${pool[next++ % pool.length]}` } }) }],
            expect: 204,
          },
          {
            name: `GET /verify, ${API_KEYS} API keys in X-API-Key (POST /ocr/extract)`,
            url,
            headers: NGINX_OCR,
            requests: apiKeys.map((key) => ({ headers: { 'x-api-key': key } })),
            expect: 204,
          },
          { name: "bare fastify, the service's 204 and headers, no judging", url: 'http://127.0.0.1:3944/verify', headers: NGINX_MODELS, requests: userTokens.map(bearer), expect: 204 },
        ],
        { rounds, duration, connections },
      ),
    );
    const main = rows[1];
    const targetMet = ratio(main, rows[0]) >= 0.45 && main.p99Ms < 10 && rows.every((r) => !r.failures);
    return report('verify', rows, {
      [`${USERS} users' JWTs / jose verify`]: ratio(main, rows[0]),
      'one JWT / jose verify': ratio(rows[2], rows[0]),
      'uncached JWT / jose verify': ratio(rows[3], rows[0]),
      'API keys / jose verify': ratio(rows[4], rows[0]),
      [`${USERS} users' JWTs / bare fastify`]: ratio(main, rows[5]),
      target: `>= 0.45 x jose, p99 < 10 ms, 0 non-2xx (${USERS} users' JWTs row): ${targetMet ? 'met' : 'MISSED'}`,
      'raw node:crypto RS256 signature verify/s (1 core, no JOSE)': await bareVerifyRate(base, userTokens[0], 'node:crypto'),
      'uncached pool': `${poolSize} client_credentials tokens in order, over the verifier's ${verifiedCacheSize()}-entry map`,
      database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded (PGlite)',
      'service log level': 'info (refusals access-logged, allowed /verify not)',
      loadavg: loadavg(),
      connections,
      'seconds per round': duration,
      rounds,
    });
  } finally {
    bare?.kill();
    await service.stop();
  }
}

async function introspect({ rounds = 5, duration = 5, connections = 16 } = {}) {
  const db = await freshDatabase();
  const services = [];
  try {
    // Started one after the other: two first starts at once would share the machine's cores.
    services.push(await startService({ port: 3942, env: { ...SERVICE_ENV, DATABASE_URL: '' } }));
    services.push(await startService({ port: 3943, env: { ...SERVICE_ENV, DATABASE_URL: db.url } }));
    const creds = [];
    for (const s of services) creds.push(await credentials(s.base));
    // Every answer must be a 200 that says active: a 200 of {"active":false} counts as a failure.
    let inactive = 0;
    const target = (name, service, { clientAuth, userTokens }) => ({
      name,
      url: `${service.base}/introspect`,
      method: 'POST',
      headers: { ...FORM, authorization: clientAuth },
      requests: userTokens.map((t) => ({ body: `token=${t}`, onResponse: (status, body) => status === 200 && !body.startsWith('{"active":true') && inactive++ })),
    });
    const rows = withRatios(
      await compare(
        [
          joseCeiling(services[0].base, creds[0].userTokens[0]),
          target(`POST /introspect, confidential client, ${USERS} users' JWTs, embedded database`, services[0], creds[0]),
          target(`POST /introspect, confidential client, ${USERS} users' JWTs, PostgreSQL server`, services[1], creds[1]),
        ],
        { rounds, duration, connections },
      ),
    );
    if (inactive) throw new Error(`introspect: ${inactive} answers of 200 said inactive`);
    return report('introspect', rows, {
      'embedded / jose verify': ratio(rows[1], rows[0]),
      'PostgreSQL server / jose verify': ratio(rows[2], rows[0]),
      target: 'none set (reported beside /verify); 0 non-2xx',
      database: 'embedded (PGlite) and PostgreSQL server (fresh database)',
      loadavg: loadavg(),
      connections,
      'seconds per round': duration,
      rounds,
    });
  } finally {
    for (const s of services) await s.stop();
    await db.drop();
  }
}

module.exports = { verify, introspect, joseCeiling };
