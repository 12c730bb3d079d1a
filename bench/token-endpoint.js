'use strict';
// Issue #12's four figures in one run: POST /token (password, refresh, client_credentials by an
// API key and by a confidential client) and the JWKS, each beside what the issue compares it
// with, every ceiling and the peer measured in the same interleaved rounds (median kept):
//   password            8 connections, 8 users in turn      raw argon2id verify, 4 in flight    >= 0.85x
//   refresh             16 clients, each its own chain      raw RS256 RFC 9068 JWT sign, 1 core >= 0.40x
//   client_credentials  32 connections, HTTP Basic          oidc-provider on one core           >= 1.25x
//   JWKS                32 connections                      oidc-provider's JWKS on one core    >= 2.5x
//   /verify             32 connections, 16 users' JWTs      raw jose jwtVerify RS256, 1 core    >= 0.45x (issue 10)
//   /introspect         16 connections, confidential client raw jose jwtVerify RS256, 1 core    reported
// and the JWKS beside a bare node:http server answering its very bytes and headers (reported):
// what one Node event loop can serve of that answer on this machine, load generator included.
// The service runs unpinned on a fresh PostgreSQL database (token-setup.js); only the peer is
// pinned (taskset), to one core at a time: each of its rows is measured on core 0 and on core 1,
// and the service is compared with the mean of the two. On some machines of this kind the two
// cores are not alike: for minutes at a time one serves HTTP at two thirds of the other's speed
// or less, the peer's JWKS included (bench/cores.js; core 0 at one time, core 1 at another),
// while the unpinned service runs on either. Against core 1 alone, as until 2026-12-06, is reported too.
// Every row must have zero non-2xx answers (lib.js load() throws otherwise).
const autocannon = require('autocannon');
const { runChild, load, compare, report } = require('./lib');
const { FORM, NGINX_MODELS } = require('./verify-setup');
const { withService, credentials, logins, refreshTokens, loginLoad, refreshLoad, startPeer, moveToCore, bareJwks } = require('./token-setup');
const { joseCeiling } = require('./verify');

const PORT = 3921;
const PEER_PORT = 3922;
const PEER_CORES = [0, 1];
const BARE_PORT = 3923;
const LOGINS = 8;
const CHAINS = 16;
const CLIENTS = 32;
const INTROSPECTORS = 16;
const ARGON2_IN_FLIGHT = 4;
// A password login must reach V8's optimised tiers before it is measured (see grants.js).
const LOGIN_WARMUP_SECONDS = 10;

/** A target at its own concurrency (compare()'s `connections` is the default of the others). */
const at = (name, connections, options, pid) => ({ name, pid, measure: ({ duration }) => load(name, { ...options, duration, connections }) });

/** A raw ceiling in a child process of its own, measuring for the round's duration. */
const ceiling = (name, script, args, pick) => ({ name, measure: async ({ duration }) => ({ name, requestsPerSec: pick((await runChild(script, [String(duration), ...args])).msg) }) });

const ratio = (a, b) => +(a.requestsPerSec / b.requestsPerSec).toFixed(2);

module.exports = async function tokenEndpoint({ rounds = 3, duration = 5, warmup = 2 } = {}) {
  return withService(PORT, async (service) => {
    const peer = await startPeer(PEER_PORT, PEER_CORES[0]);
    // The peer's target on `core`: moved there before each of its rounds, outside the round.
    const onCore = (core, target) => ({ ...target, prepare: () => moveToCore(peer.pid, core) });
    let bare;
    try {
      bare = await bareJwks(service.base, BARE_PORT);
      const creds = await credentials(service.base, { users: CHAINS });
      const users = creds.loginBodies.slice(0, LOGINS);
      const loginCreds = { ...creds, loginBodies: users };
      // Access tokens of the users, for /verify (nginx's form) and /introspect.
      const accessTokens = (await logins(service.base, creds, CHAINS)).map((answer) => answer.access_token);
      let inactive = 0;
      const tokenUrl = `${service.base}/token`;
      const clientCredentials = (auth) => ({ url: tokenUrl, method: 'POST', headers: { ...FORM, authorization: auth }, body: 'grant_type=client_credentials&scope=models%3Alist' });
      let chains = [];
      const targets = [
        ceiling(`raw argon2id verify, ${ARGON2_IN_FLIGHT} in flight (verifies/s)`, 'ceilings/argon2.js', [String(ARGON2_IN_FLIGHT)], (m) => m.verifiesPerSec),
        at(`tessera password grant, ${LOGINS} conns, ${LOGINS} users in turn`, LOGINS, loginLoad(service.base, loginCreds), service.pid),
        ceiling('raw node:crypto RS256 sign of an RFC 9068 JWT, 1 core (tokens/s)', 'ceilings/sign-jwt.js', [], (m) => m.tokensPerSec),
        {
          name: `tessera refresh grant, ${CHAINS} chains`,
          pid: service.pid,
          // Fresh logins before each round, outside it: a chain cut by a round's end is spent.
          prepare: async () => (chains = await refreshTokens(service.base, creds, CHAINS)),
          measure: ({ duration: d }) => load(`tessera refresh grant, ${CHAINS} chains`, { ...refreshLoad(service.base, creds, chains), duration: d, connections: CHAINS }),
        },
        ...PEER_CORES.map((core) =>
          onCore(core, at(`oidc-provider client_credentials, ${CLIENTS} conns (core ${core})`, CLIENTS, { url: peer.tokenUrl, method: 'POST', headers: { ...FORM, authorization: peer.auth }, body: peer.body }, peer.pid)),
        ),
        at(`tessera client_credentials, API key by Basic, ${CLIENTS} conns`, CLIENTS, clientCredentials(creds.apiKeyAuth), service.pid),
        at(`tessera client_credentials, confidential client by Basic, ${CLIENTS} conns`, CLIENTS, clientCredentials(creds.clientAuth), service.pid),
        ...PEER_CORES.map((core) => onCore(core, at(`oidc-provider JWKS, ${CLIENTS} conns (core ${core})`, CLIENTS, { url: peer.jwksUrl }, peer.pid))),
        at(`tessera JWKS, ${CLIENTS} conns`, CLIENTS, { url: `${service.base}/.well-known/jwks.json` }, service.pid),
        at(`bare node:http, the JWKS's bytes and ${Object.keys(bare.headers).length} headers, own process, ${CLIENTS} conns`, CLIENTS, { url: bare.url }, bare.pid),
        joseCeiling(service.base, accessTokens[0]),
        at(`tessera GET /verify, ${CHAINS} users' JWTs, ${CLIENTS} conns`, CLIENTS, { url: `${service.base}/verify`, headers: NGINX_MODELS, requests: accessTokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } })), expect: 204 }, service.pid),
        at(`tessera POST /introspect, confidential client, ${CHAINS} users' JWTs, ${INTROSPECTORS} conns`, INTROSPECTORS, {
          url: `${service.base}/introspect`,
          method: 'POST',
          headers: { ...FORM, authorization: creds.clientAuth },
          // Every answer must say active: a 200 of {"active":false} is counted and fails the run.
          requests: accessTokens.map((t) => ({ body: `token=${t}`, onResponse: (status, body) => status === 200 && !body.startsWith('{"active":true') && inactive++ })),
        }, service.pid),
      ];
      // The password grant's longer warm-up, before compare()'s short one for every target.
      await autocannon({ ...loginLoad(service.base, loginCreds), connections: LOGINS, duration: LOGIN_WARMUP_SECONDS });
      const rows = await compare(targets, { rounds, duration, connections: CLIENTS, warmup });
      if (inactive) throw new Error(`introspect: ${inactive} answers of 200 said inactive`);
      const [argon2, password, sign, refresh, peerToken0, peerToken1, apiKey, confidential, peerJwks0, peerJwks1, jwks, bareJwksRow, jose, verify, introspect] = rows;
      // The peer on either core: the mean of its medians on core 0 and on core 1.
      const eitherCore = (what, a, b) => ({ name: `${what}, mean of core 0 and core 1`, requestsPerSec: Math.round((a.requestsPerSec + b.requestsPerSec) / 2), failures: a.failures + b.failures });
      const peerToken = eitherCore('oidc-provider client_credentials', peerToken0, peerToken1);
      const peerJwks = eitherCore("oidc-provider's JWKS", peerJwks0, peerJwks1);
      const figure = (name, workload, row, base, target) => {
        const r = ratio(row, base);
        const ok = !row.failures && !base.failures;
        return {
          figure: name,
          workload,
          'tessera /s': row.requestsPerSec,
          'p50 ms': row.p50Ms,
          'p99 ms': row.p99Ms,
          'cpu ms/req': row.cpuMsPerReq,
          'compared with': base.name,
          'their /s': base.requestsPerSec,
          ratio: r,
          target: target === null ? 'none' : `>= ${target}`,
          result: target === null ? (ok ? 'reported' : 'MISSED') : r >= target && ok ? 'met' : 'MISSED',
        };
      };
      const summary = [
        figure('password grant', `${LOGINS} connections, ${LOGINS} users of one tenant in turn`, password, argon2, 0.85),
        figure('refresh grant', `${CHAINS} clients, each chaining its own latest refresh token`, refresh, sign, 0.4),
        figure('client_credentials, API key', `HTTP Basic, ${CLIENTS} connections`, apiKey, peerToken, 1.25),
        figure('client_credentials, confidential client', `HTTP Basic, ${CLIENTS} connections`, confidential, peerToken, 1.25),
        figure('JWKS', `GET, ${CLIENTS} connections`, jwks, peerJwks, 2.5),
        figure('client_credentials, API key, against the peer on core 1 alone', `HTTP Basic, ${CLIENTS} connections`, apiKey, peerToken1, null),
        figure("JWKS against the peer's on core 1 alone", `GET, ${CLIENTS} connections`, jwks, peerJwks1, null),
        figure('JWKS beside a bare server', `GET, ${CLIENTS} connections`, jwks, bareJwksRow, null),
        figure('/verify', `nginx auth_request form, ${CHAINS} users' JWTs, ${CLIENTS} connections`, verify, jose, 0.45),
        figure('/introspect', `confidential client by Basic, ${CHAINS} users' JWTs, ${INTROSPECTORS} connections`, introspect, jose, null),
      ];
      return report('token-endpoint', summary, {
        'every measurement (median round)': rows,
        peer: `oidc-provider ${require('oidc-provider/package.json').version}, in-memory adapter, one confidential client (client_secret_basic), client_credentials with a resource indicator, access tokens ${JSON.stringify(peer.header)}; pinned by taskset to core 0 for one row and to core 1 for another (moved between the rounds), each figure against the mean of the two (the service is not pinned); on Node ${process.version}, which oidc-provider 9 calls unsupported (it asks for 22 LTS+)`,
        service: 'node dist/src/main.js (as npm start), unpinned, fresh database on the local PostgreSQL server, log level info, throttler limits out of reach (one IP)',
        credentials: `through the admin API: tenant ${creds.tenant.slug}, ${CHAINS} users, its default public client, a confidential client, an API key`,
        'cpu ms/req': "the measured process's CPU (all threads) per request, median of the rounds: the service's, or the peer's",
        'core 0 %': "per round, the share of samples (every 50 ms) in which the measured process's main thread was last on core 0; the peer is pinned to the core its row names",
        'JWKS ceiling': `a bare node:http server answering the JWKS's bytes with the same headers, in a process of its own, unpinned: ${bareJwksRow.requestsPerSec}/s; 2.5x oidc-provider's JWKS is ${Math.round(2.5 * peerJwks.requestsPerSec)}/s`,
        'all met': summary.every((s) => s.result !== 'MISSED'),
        'seconds per round': duration,
        rounds,
      });
    } finally {
      peer.stop();
      bare?.stop();
    }
  });
};
