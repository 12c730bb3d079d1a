'use strict';
// POST /token grants on a real PostgreSQL, each measured in interleaved rounds against the raw
// ceiling it cannot beat. Issue targets: the password grant at least 0.85x raw argon2id verify
// at the same concurrency; the refresh grant at least 0.40x raw single-core RS256 signing.
const { fork } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { availableParallelism } = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');
const autocannon = require('autocannon');
const { ROOT, runChild, load, compare, report, jwtLibraries } = require('./lib');
const { refreshLoad: chainedRefreshes, withService } = require('./token-setup');

const { ADMIN_PASSWORD } = require('./verify-setup');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PASSWORD_BODY = `grant_type=password&client_id=admin-cli&username=admin&password=${ADMIN_PASSWORD}`;
// The password benchmark's concurrency, and so the raw argon2id ceiling's.
const LOGINS_IN_FLIGHT = 4;

/** A raw ceiling as a compare() target: a child process measuring for the round's duration. */
function ceiling(name, script, args, pick) {
  return { name, measure: async ({ duration }) => ({ name, requestsPerSec: pick((await runChild(script, [String(duration), ...args])).msg) }) };
}

const argon2Ceiling = (inFlight) =>
  ceiling(`raw argon2id verify, ${inFlight} in flight (verifies/s)`, 'ceilings/argon2.js', [String(inFlight)], (m) => m.verifiesPerSec);
const passwordLogin = (name, url) => ({ name, url, method: 'POST', headers: FORM, body: PASSWORD_BODY });
const rs256Ceiling = () => ceiling('raw RS256 sign, 1 core (signs/s)', 'ceilings/sign.js', ['RS256'], (m) => m.signsPerSec.RS256);
const ratio = (a, b) => +(a.requestsPerSec / b.requestsPerSec).toFixed(2);

/** bench/ceilings/bare-login.js on the service's migrated database, listening on `port`. */
async function bareLogin(databaseUrl, port, skip = '') {
  const child = fork(join(__dirname, 'ceilings/bare-login.js'), [databaseUrl, String(port)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BARE_LOGIN_SKIP: skip },
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`bare-login exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/token`, stop: () => child.kill() };
}

async function password({ rounds = 5, duration = 4 } = {}) {
  return withService(3911, async (service, db) => {
    const bare = await bareLogin(db.url, 3914);
    const cores = availableParallelism();
    let rows;
    try {
      rows = await compare(
        [
          argon2Ceiling(LOGINS_IN_FLIGHT),
          // The service hashes on one thread per core: the raw rate at that concurrency, for comparison.
          argon2Ceiling(cores),
          passwordLogin('POST /token grant_type=password', `${service.base}/token`),
          passwordLogin('the same login work on bare node:http (no framework)', bare.url),
        ],
        // At ~60 logins/s a 2 s warm-up leaves the grant's code in V8's baseline tiers (the optimiser
        // was measured spending ~1 ms of helper-thread CPU per login); 10 s reaches the steady state.
        { rounds, duration, connections: LOGINS_IN_FLIGHT, warmup: 10 },
      );
    } finally {
      bare.stop();
    }
    return report('password', rows, {
      'password / argon2id verify': ratio(rows[2], rows[0]),
      target: '>= 0.85',
      [`password / argon2id verify at ${cores} in flight`]: ratio(rows[2], rows[1]),
      'bare node:http login / argon2id verify': ratio(rows[3], rows[0]),
      'password / bare node:http login': ratio(rows[2], rows[3]),
      argon2: `m=${process.env.ARGON2_MEMORY_KIB || 19456},t=${process.env.ARGON2_ITERATIONS || 2},p=${process.env.ARGON2_PARALLELISM || 1}`,
      database: 'PostgreSQL server',
      connections: LOGINS_IN_FLIGHT,
      'seconds per round': duration,
      rounds,
    });
  });
}

/**
 * Where the framework-free floor's time goes: bare-login.js with steps left out, one by one,
 * against raw argon2id. No target; it shows what the required work of a login costs here.
 */
async function passwordFloor({ rounds = 5, duration = 4 } = {}) {
  return withService(3916, async (service, db) => {
    const variants = ['', 'insert', 'query,insert', 'query,insert,sign'];
    const floors = [];
    try {
      for (const [i, skip] of variants.entries()) floors.push({ skip, ...(await bareLogin(db.url, 3917 + i, skip)) });
      const rows = await compare(
        [
          argon2Ceiling(LOGINS_IN_FLIGHT),
          ...floors.map(({ skip, url }) => passwordLogin(skip ? `bare login without ${skip.replace(/,/g, ', ')}` : 'bare login (every step)', url)),
        ],
        { rounds, duration, connections: LOGINS_IN_FLIGHT, warmup: 10 },
      );
      return report('password-floor', rows, {
        ...Object.fromEntries(rows.slice(1).map((row) => [`${row.name} / argon2id verify`, ratio(row, rows[0])])),
        target: 'none: what each step of a login costs beside argon2id',
        database: 'PostgreSQL server',
        connections: LOGINS_IN_FLIGHT,
        'seconds per round': duration,
        rounds,
      });
    } finally {
      for (const floor of floors) floor.stop();
    }
  });
}

async function login(base) {
  const res = await fetch(`${base}/token`, { method: 'POST', headers: FORM, body: PASSWORD_BODY });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return (await res.json()).refresh_token;
}

/**
 * autocannon options for `connections` refresh clients, each chaining its own session: a login
 * first, then always the refresh token of its own previous answer (token-setup.js refreshLoad).
 * The logins are made anew every round, because a round's last in-flight requests may be cut
 * off after the server rotated.
 */
async function refreshLoad(base, connections) {
  const tokens = await Promise.all(Array.from({ length: connections }, () => login(base)));
  return chainedRefreshes(base, { appId: 'admin-cli' }, tokens);
}

async function refresh({ rounds = 5, duration = 4, connections = 50 } = {}) {
  return withService(3912, async (service) => {
    const name = 'POST /token grant_type=refresh_token';
    const measure = async (opts) => {
      return load(name, { ...opts, ...(await refreshLoad(service.base, opts.connections)) });
    };
    const rows = await compare([rs256Ceiling(), { name, measure }], { rounds, duration, connections });
    return report('refresh', rows, {
      'refresh / RS256 sign': ratio(rows[1], rows[0]),
      target: '>= 0.40',
      'RS256 access tokens/s on 1 core, by library': await jwtLibraries(),
      database: 'PostgreSQL server',
      connections,
      'seconds per round': duration,
      rounds,
    });
  });
}

/** A confidential client and an API key of the system tenant, by SQL until the admin API exists. */
async function createCredentials(databaseUrl) {
  const { hashSecret } = require(`${ROOT}/dist/src/clients/client-secret`);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const clientId = `bench-${Date.now()}`;
    const clientSecret = randomBytes(32).toString('base64url');
    await db.query(
      `INSERT INTO clients (tenant_id, client_id, name, type, secret_hash, grant_types, scopes)
       SELECT id, $1, 'bench', 'confidential', $2, '{client_credentials}', '{models:list}' FROM tenants WHERE slug = 'system'`,
      [clientId, hashSecret(clientSecret)],
    );
    const key = `tsk_${randomBytes(32).toString('base64url')}`;
    const { rows } = await db.query(
      `INSERT INTO api_keys (tenant_id, name, key_prefix, secret_hash, scopes)
       SELECT id, 'bench', $1, $2, '{models:list}' FROM tenants WHERE slug = 'system' RETURNING id`,
      [key.slice(0, 10), hashSecret(key)],
    );
    return { client: { id: clientId, secret: clientSecret }, apiKey: { id: rows[0].id, secret: key } };
  } finally {
    await db.end();
  }
}

async function clientCredentials({ rounds = 5, duration = 4, connections = 50 } = {}) {
  return withService(3913, async (service, db) => {
    const { client, apiKey } = await createCredentials(db.url);
    const grant = (name, { id, secret }) => ({
      name,
      url: `${service.base}/token`,
      method: 'POST',
      headers: FORM,
      body: `grant_type=client_credentials&client_id=${encodeURIComponent(id)}&client_secret=${secret}`,
    });
    const rows = await compare(
      [rs256Ceiling(), grant('POST /token client_credentials, confidential client', client), grant('POST /token client_credentials, API key', apiKey)],
      { rounds, duration, connections },
    );
    return report('client-credentials', rows, {
      'confidential client / RS256 sign': ratio(rows[1], rows[0]),
      'API key / RS256 sign': ratio(rows[2], rows[0]),
      target: 'none (reported beside the refresh grant)',
      database: 'PostgreSQL server',
      connections,
      'seconds per round': duration,
      rounds,
    });
  });
}

/**
 * Refresh latency while logins saturate the CPU: what ARGON2_NICE is for. Refreshes alone, then
 * the same refresh load beside a flood of password logins (16 connections), interleaved rounds.
 */
async function loginFlood({ rounds = 3, duration = 4, connections = 4, flood = 16 } = {}) {
  return withService(3915, async (service) => {
    const target = (name) => ({
      name,
      measure: async (opts) => {
        const refreshes = await refreshLoad(service.base, connections);
        const flooding =
          name === 'refresh during a login flood'
            ? autocannon({ url: `${service.base}/token`, method: 'POST', headers: FORM, body: PASSWORD_BODY, connections: flood, duration: opts.duration + 1 })
            : null;
        try {
          return await load(name, { ...opts, connections, ...refreshes });
        } finally {
          await flooding;
        }
      },
    });
    const rows = await compare([target('refresh alone'), target('refresh during a login flood')], { rounds, duration, connections });
    return report('login-flood', rows, {
      'ARGON2_NICE': process.env.ARGON2_NICE ?? '10 (default)',
      'login connections in the flood': flood,
      'refresh connections': connections,
      target: 'none: the refresh p99 during the flood, next to its p99 alone',
      database: 'PostgreSQL server',
      'seconds per round': duration,
      rounds,
    });
  });
}

module.exports = { password, 'password-floor': passwordFloor, refresh, 'client-credentials': clientCredentials, 'login-flood': loginFlood };
