'use strict';
// node bench/console.js (after npm run build; npm run bench:console does both): the console's
// users screen with 50,000 users in one tenant, beside the admin API's list call for the same
// page, in interleaved rounds on a fresh database of the local PostgreSQL server (or
// BENCH_DATABASE_URL). Issue #15: the page at least 0.5x the API's rate, first page and search.
const { Client } = require('pg');
const { startService, freshDatabase, compare, report } = require('./lib');

const ADMIN_PASSWORD = 'bench-admin-password';
const USERS = 50_000;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function json(res) {
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** 50,000 users of one tenant in one statement; every user shares one (valid) argon2id hash. */
async function seed(databaseUrl, tenantId, hashOf) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO users (tenant_id, username, username_key, password_hash, scopes, created_at)
       SELECT $1, 'user' || lpad(i::text, 5, '0'), 'user' || lpad(i::text, 5, '0'), $2, '{models:list}', now() - (${USERS} - i) * interval '1 ms'
       FROM generate_series(1, ${USERS}) AS i`,
      [tenantId, hashOf],
    );
    await db.query('ANALYZE users');
  } finally {
    await db.end();
  }
}

/** A console session as a browser gets one: the login form's CSRF cookie and field, then the session cookie. */
async function consoleSession(base) {
  const form = await fetch(`${base}/console/login`);
  const loginCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())[1];
  const body = new URLSearchParams({ _csrf: csrf, tenant: '', username: 'admin', password: ADMIN_PASSWORD }).toString();
  const res = await fetch(`${base}/console/login`, { method: 'POST', headers: { ...FORM, cookie: loginCookie, origin: base }, body, redirect: 'manual' });
  if (res.status !== 303) throw new Error(`console login: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().find((c) => /tessera-console=/.test(c)).split(';')[0];
}

module.exports = async function consoleBench({ rounds = 5, duration = 4, connections = 10 } = {}) {
  const db = await freshDatabase();
  let service;
  try {
    service = await startService({ port: 3911, env: { DATABASE_URL: db.url, ADMIN_PASSWORD, THROTTLE_PER_IP: '999999999/1s', THROTTLE_PER_SUBJECT: '999999999/1s' } });
    const { base } = service;
    const token = (await json(await fetch(`${base}/token`, { method: 'POST', headers: FORM, body: `grant_type=password&client_id=admin-cli&username=admin&password=${ADMIN_PASSWORD}` }))).access_token;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const tenant = await json(await fetch(`${base}/admin/tenants`, { method: 'POST', headers: auth, body: JSON.stringify({ slug: 'bench', name: 'Bench' }) }));
    // One user made by the API gives the hash every seeded user shares.
    const first = await json(await fetch(`${base}/admin/tenants/${tenant.id}/users`, { method: 'POST', headers: auth, body: JSON.stringify({ username: 'first', password: 'bench-user-password', scopes: [] }) }));
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const [{ password_hash: hash }] = (await client.query('SELECT password_hash FROM users WHERE id = $1', [first.id])).rows;
    await client.end();
    await seed(db.url, tenant.id, hash);
    const cookie = await consoleSession(base);
    const users = `${base}/admin/tenants/${tenant.id}/users?limit=50`;
    const page = `${base}/console/tenants/${tenant.id}/users`;
    const check = async (url, headers, expect) => {
      const text = await (await fetch(url, { headers })).text();
      if (!text.includes(expect)) throw new Error(`${url} does not show ${expect}`);
    };
    await check(users, auth, 'user00001');
    await check(page, { cookie }, 'user00001');
    await check(`${page}?q=user4999`, { cookie }, 'user49990');
    const rows = await compare(
      [
        { name: 'API GET /admin/tenants/{id}/users (first page, 50)', url: users, headers: { authorization: auth.authorization } },
        { name: 'console users screen, first page (50)', url: page, headers: { cookie } },
        { name: 'console users screen, search ?q=user4999', url: `${page}?q=user4999`, headers: { cookie } },
      ],
      { rounds, duration, connections },
    );
    const ratio = (a, b) => +(a.requestsPerSec / b.requestsPerSec).toFixed(2);
    return report('console', rows, {
      'first page / API': ratio(rows[1], rows[0]),
      'search / API': ratio(rows[2], rows[0]),
      target: '>= 0.5',
      users: USERS + 1,
      database: 'PostgreSQL server',
      connections,
      'seconds per round': duration,
      rounds,
    });
  } finally {
    await service?.stop();
    await db.drop();
  }
};

if (require.main === module) {
  module.exports().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
