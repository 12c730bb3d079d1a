'use strict';
// Credentials for the /verify and /introspect benchmarks (verify.js, verify-cpu.js), made as an
// operator would: users, a confidential client and API keys through the admin API (the platform
// admin's token, ADMIN_PASSWORD), access tokens from POST /token.
const { randomBytes } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { ROOT } = require('./lib');

const ADMIN_PASSWORD = 'bench-admin-password';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const USERS = 200;
const API_KEYS = 5;
const SCOPES = ['models:list', 'ocr:infer'];
const NGINX_MODELS = { 'x-original-uri': '/v1/models', 'x-original-method': 'GET' };
const NGINX_OCR = { 'x-original-uri': '/ocr/extract', 'x-original-method': 'POST' };

const SERVICE_ENV = {
  ADMIN_PASSWORD,
  // Setup logs 200 users in and issues tens of thousands of tokens from this one IP.
  THROTTLE_PER_IP: '999999999/1s',
  THROTTLE_PER_SUBJECT: '999999999/1s',
  // The contract's maximum: tokens issued at setup stay valid for the whole run.
  ACCESS_TOKEN_TTL: '1h',
};

/**
 * How many verified tokens AccessTokenVerifier keeps (it clears the map when full). A pool
 * larger than that, presented in order, misses the map on every request: each request pays the
 * signature check, as a token never seen before does.
 */
function verifiedCacheSize() {
  const source = readFileSync(join(ROOT, 'dist/src/verify/access-token-verifier.js'), 'utf8');
  const match = /const MAX_VERIFIED = ([\d_]+);/.exec(source);
  if (!match) throw new Error('MAX_VERIFIED not found in dist/src/verify/access-token-verifier.js: the never-seen pool cannot be sized');
  return Number(match[1].replace(/_/g, ''));
}

/** Runs fn over items with `limit` in flight, keeping the order of the results. */
async function inParallel(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

async function call(base, path, { method = 'GET', headers = {}, body, expect = [200, 201] } = {}) {
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const token = (base, body, headers = {}) => call(base, '/token', { method: 'POST', headers: { ...FORM, ...headers }, body });
const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/**
 * On the system tenant: USERS users holding SCOPES, each logged in once through admin-cli (the
 * password grant), a confidential client and API_KEYS API keys (POST /ocr/extract), and
 * `poolSize` access tokens of that client (client_credentials).
 */
async function credentials(base, { poolSize = 0 } = {}) {
  const t0 = Date.now();
  const admin = (await token(base, `grant_type=password&client_id=admin-cli&username=admin&password=${ADMIN_PASSWORD}`)).access_token;
  const json = (method, path, body) =>
    call(base, path, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const { items } = await call(base, '/admin/tenants', { headers: { authorization: `Bearer ${admin}` } });
  const tenant = items.find((t) => t.slug === 'system');
  const client = await json('POST', `/admin/tenants/${tenant.id}/clients`, { name: 'bench introspection', type: 'confidential', grantTypes: ['client_credentials'], scopes: SCOPES });
  const apiKeys = await inParallel([...Array(API_KEYS).keys()], 2, (i) => json('POST', `/admin/tenants/${tenant.id}/api-keys`, { name: `bench ocr ${i}`, scopes: ['ocr:infer'] }));
  // Users are created and logged in four at a time: the service hashes on one argon2 thread per core.
  const users = [...Array(USERS).keys()].map((i) => ({ username: `bench-user-${i}`, password: randomBytes(18).toString('base64url') }));
  await inParallel(users, 4, (u) => json('POST', `/admin/tenants/${tenant.id}/users`, { ...u, scopes: SCOPES }));
  const userTokens = await inParallel(users, 4, async (u) => {
    const res = await token(base, `grant_type=password&client_id=admin-cli&username=${u.username}&password=${u.password}`);
    if (res.scope !== SCOPES.join(' ')) throw new Error(`login of ${u.username}: scope ${res.scope}`);
    return res.access_token;
  });
  const clientAuth = basic(client.clientId, client.clientSecret);
  const pool = await inParallel([...Array(poolSize).keys()], 16, async () => (await token(base, 'grant_type=client_credentials', { authorization: clientAuth })).access_token);
  const seconds = Math.round((Date.now() - t0) / 1000);
  console.error(`${base}: ${USERS} users logged in, ${API_KEYS} API keys, ${poolSize} client_credentials tokens issued in ${seconds} s`);
  return { tenant, client, clientAuth, userTokens, apiKeys: apiKeys.map((k) => k.key), apiKeyIds: apiKeys.map((k) => k.id), pool };
}

/** The service's JWKS (as JSON) and issuer, as a verifier configures them. */
async function keysAndIssuer(base) {
  const { issuer } = await call(base, '/.well-known/oauth-authorization-server');
  return [JSON.stringify(await call(base, '/.well-known/jwks.json')), issuer];
}

module.exports = { ADMIN_PASSWORD, FORM, USERS, API_KEYS, SCOPES, NGINX_MODELS, NGINX_OCR, SERVICE_ENV, verifiedCacheSize, inParallel, call, credentials, keysAndIssuer };
