'use strict';
// Shared by token-endpoint.js and soak.js (issue #12): the service on a fresh database of the
// local PostgreSQL server, as `npm start` runs it (dist/src/main.js), its credentials made
// through the admin API as an operator would, and autocannon workloads that behave as the
// clients do (distinct users logging in; each refresh client chaining its own latest token).
const { execFileSync, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { join } = require('node:path');
const { startService, freshDatabase, runChild } = require('./lib');
const { ADMIN_PASSWORD, FORM, inParallel, call } = require('./verify-setup');

const SCOPES = ['models:list', 'ocr:infer'];
const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const token = (base, body, headers = {}) => call(base, '/token', { method: 'POST', headers: { ...FORM, ...headers }, body });

/**
 * The service on a fresh database (with `env` added to its environment, from another build if
 * `dist` is given, with `nodeArgs` before its script); fn(service, db); both gone afterwards.
 */
async function withService(port, fn, env = {}, dist = undefined, nodeArgs = []) {
  const db = await freshDatabase();
  let service;
  try {
    service = await startService({
      port,
      dist,
      nodeArgs,
      env: {
        DATABASE_URL: db.url,
        ADMIN_PASSWORD,
        // All the load comes from one IP: the throttler still runs on every request but must
        // never refuse. Configuration, the same for every caller: no user or key is special.
        THROTTLE_PER_IP: '999999999/1s',
        THROTTLE_PER_SUBJECT: '999999999/1s',
        ...env,
      },
    });
    return await fn(service, db);
  } finally {
    await service?.stop();
    await db.drop();
  }
}

/**
 * A tenant `bench` made by the platform admin, `users` users in it (they log in through the
 * tenant's default public client), a confidential client and an API key allowed
 * client_credentials; each credential tried once.
 */
async function credentials(base, { users: count = 16 } = {}) {
  const admin = (await token(base, `grant_type=password&client_id=admin-cli&username=admin&password=${ADMIN_PASSWORD}`)).access_token;
  const json = (path, body) =>
    call(base, path, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const tenant = await json('/admin/tenants', { slug: `bench-${randomBytes(4).toString('hex')}`, name: 'Bench', scopes: SCOPES });
  const appId = tenant.defaultClient.clientId;
  const client = await json(`/admin/tenants/${tenant.id}/clients`, { name: 'bench backend', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['models:list'] });
  const apiKey = await json(`/admin/tenants/${tenant.id}/api-keys`, { name: 'bench key', scopes: ['models:list'] });
  const users = [...Array(count).keys()].map((i) => ({ username: `bench-user-${i}`, password: randomBytes(18).toString('base64url') }));
  // Two at a time: the service hashes on one argon2 thread per core.
  await inParallel(users, 2, (u) => json(`/admin/tenants/${tenant.id}/users`, { ...u, scopes: SCOPES }));
  const loginBody = (u) => `grant_type=password&client_id=${encodeURIComponent(appId)}&username=${encodeURIComponent(u.username)}&password=${encodeURIComponent(u.password)}`;
  const creds = {
    tenant,
    appId,
    users,
    loginBodies: users.map(loginBody),
    clientAuth: basic(client.clientId, client.clientSecret),
    // An API key authenticates at /token as a client: its id and its whole key (contract 2.1, 5.1).
    apiKeyAuth: basic(apiKey.id, apiKey.key),
  };
  await expectJwt(token(base, 'grant_type=client_credentials&scope=models%3Alist', { authorization: creds.clientAuth }), 'confidential client');
  await expectJwt(token(base, 'grant_type=client_credentials&scope=models%3Alist', { authorization: creds.apiKeyAuth }), 'API key');
  return creds;
}

/** Checks a /token answer carries an RS256 at+jwt access token (RFC 9068): both sides do that work. */
async function expectJwt(answer, who) {
  const res = await answer;
  const header = JSON.parse(Buffer.from(String(res.access_token).split('.')[0], 'base64url').toString());
  if (header.alg !== 'RS256' || header.typ !== 'at+jwt') throw new Error(`${who}: access token header ${JSON.stringify(header)}, not RS256 at+jwt`);
  return header;
}

/** Each login's refresh token: one per chain, by users in turn (logins two at a time). */
async function refreshTokens(base, creds, chains) {
  return (await logins(base, creds, chains)).map((answer) => answer.refresh_token);
}

/** `n` logins' answers, by users in turn, two at a time. */
function logins(base, creds, n) {
  return inParallel([...Array(n).keys()], 2, (i) => token(base, creds.loginBodies[i % creds.loginBodies.length]));
}

/**
 * autocannon options for password logins: every connection goes through the users in turn,
 * each starting at a different one, so the users in flight at once are distinct people.
 */
function loginLoad(base, creds, onAnswer) {
  let next = 0;
  const bodies = creds.loginBodies;
  const onResponse = onAnswer && ((status, body) => status === 200 && onAnswer(JSON.parse(body)));
  return {
    url: `${base}/token`,
    method: 'POST',
    headers: FORM,
    setupClient: (client) => {
      const first = next++;
      client.setRequests(bodies.map((_, i) => ({ body: bodies[(first + i) % bodies.length], onResponse })));
    },
  };
}

/**
 * autocannon options for refresh chains: connection i presents tokens[i], then always the
 * refresh token of its own previous answer, as a client keeping its session does. autocannon
 * resets a request's `context` each time a connection wraps around its list (every request
 * here), so each connection's chain lives in a closure of its own, made by setupClient.
 * A chain cut mid-request by the end of a round cannot go on (the server may have rotated),
 * so every round starts from fresh logins.
 */
function refreshLoad(base, creds, tokens, onAnswer) {
  let next = 0;
  return {
    url: `${base}/token`,
    method: 'POST',
    headers: FORM,
    setupClient: (client) => {
      let latest = tokens[next++];
      if (!latest) throw new Error('more connections than refresh chains');
      client.setRequests([
        {
          setupRequest: (req) => ({ ...req, body: `grant_type=refresh_token&client_id=${encodeURIComponent(creds.appId)}&refresh_token=${latest}` }),
          // A failed refresh leaves the spent token in place: its reuse then fails loudly too.
          onResponse: (status, body) => {
            if (status !== 200) return;
            const answer = JSON.parse(body);
            latest = answer.refresh_token;
            onAnswer?.(answer);
          },
        },
      ]);
    },
  };
}

/**
 * autocannon options for one of token-endpoint's workloads at its concurrency, for the tools that
 * drive one at a time (threads.js, ab.js): login (8 connections over 8 users), refresh (16 chains
 * from fresh logins), client_credentials (the API key by Basic, 32 connections), jwks (32).
 */
async function workload(name, base, creds) {
  if (name === 'login') return { ...loginLoad(base, { ...creds, loginBodies: creds.loginBodies.slice(0, 8) }), connections: 8 };
  if (name === 'refresh') return { ...refreshLoad(base, creds, await refreshTokens(base, creds, 16)), connections: 16 };
  if (name === 'client_credentials') {
    return { url: `${base}/token`, method: 'POST', headers: { ...FORM, authorization: creds.apiKeyAuth }, body: 'grant_type=client_credentials&scope=models%3Alist', connections: 32 };
  }
  if (name === 'jwks') return { url: `${base}/.well-known/jwks.json`, connections: 32 };
  throw new Error(`workload: login, refresh, client_credentials or jwks, not ${name}`);
}

/** A process pinned to `core` by taskset, which must exist: the pinning is part of the figure. */
function pinned(core, script, args) {
  try {
    execFileSync('taskset', ['-c', String(core), 'true']);
  } catch (err) {
    throw new Error(`taskset is needed to pin the peer to core ${core} (util-linux): ${err.message}`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', String(core), process.execPath, join(__dirname, script), ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (msg) => resolve({ child, msg }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** Moves a running process, every thread of it (V8's helpers too), to `core`. */
function moveToCore(pid, core) {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

/** oidc-provider, started on `core` (moveToCore moves it): its token endpoint and JWKS (from its discovery document), checked once. */
async function startPeer(port, core) {
  const clientId = 'bench-peer-client';
  const secret = randomBytes(32).toString('base64url');
  const resource = 'urn:tessera:bench:inference';
  const { child, msg } = await pinned(core, 'peer-oidc-provider.js', [String(port), clientId, secret, resource]);
  const discovery = await call(msg.issuer, '/.well-known/openid-configuration');
  const auth = basic(clientId, secret);
  const body = `grant_type=client_credentials&scope=models%3Alist&resource=${encodeURIComponent(resource)}`;
  const tokenUrl = new URL(discovery.token_endpoint);
  const answer = call(tokenUrl.origin, tokenUrl.pathname, { method: 'POST', headers: { ...FORM, authorization: auth }, body });
  const header = await expectJwt(answer, 'oidc-provider');
  return { pid: msg.pid, tokenUrl: tokenUrl.href, jwksUrl: discovery.jwks_uri, auth, body, header, stop: () => child.kill() };
}

/**
 * The service's JWKS answer, recorded once, served on `port` by ceilings/static-http.js: the same
 * body and headers (the request id fixed), without Fastify, the hooks or the rest of the
 * application. Also gives the recorded headers (but Node's own: date, connection, keep-alive,
 * content-length) and body.
 */
async function bareJwks(base, port) {
  const answer = await fetch(`${base}/.well-known/jwks.json`);
  if (answer.status !== 200) throw new Error(`JWKS answered ${answer.status}`);
  const headers = Object.fromEntries([...answer.headers].filter(([name]) => !['date', 'connection', 'keep-alive', 'content-length'].includes(name)));
  const body = await answer.text();
  const { child, msg } = await runChild('ceilings/static-http.js', [String(port), JSON.stringify({ headers, body })]);
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, pid: msg.pid, headers, body, stop: () => child.kill() };
}

module.exports = { SCOPES, basic, withService, credentials, logins, refreshTokens, loginLoad, refreshLoad, workload, startPeer, moveToCore, expectJwt, bareJwks };
