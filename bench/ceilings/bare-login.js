'use strict';
// The password grant's required work with no framework: bare node:http and pg, the same
// statements (tenant + user + lockout in one query; family, first token and audit event in
// one insert), the service's own argon2 thread pool, and a plain node:crypto RS256 signature.
// What the service could reach if Nest, Fastify and its other layers cost nothing: the
// floor under the password grant's overhead on this machine.
//   node bench/ceilings/bare-login.js <databaseUrl> <port>   (after the service migrated it)
// BARE_LOGIN_SKIP=query,sign,insert leaves steps out (the query's first answer is reused; the
// token goes unsigned; nothing is written), to show what each step of a login costs.
const http = require('node:http');
const { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } = require('node:crypto');
const { availableParallelism } = require('node:os');
const { Pool } = require('pg');
require('reflect-metadata');
const { Argon2Pool } = require('../../dist/src/users/argon2-pool');
// The service's own statements and username key, so the floor does exactly the grant's database work.
const { LOGIN } = require('../../dist/src/users/users.service');
const { usernameKey } = require('../../dist/src/users/username');
const { ISSUE } = require('../../dist/src/sessions/refresh-tokens.service');

const [databaseUrl, port] = process.argv.slice(2);
const db = new Pool({ connectionString: databaseUrl, max: 10 });
const argon2 = new Argon2Pool(Number(process.env.ARGON2_THREADS) || availableParallelism(), Number(process.env.ARGON2_NICE ?? 10));
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const SKIP = new Set((process.env.BARE_LOGIN_SKIP || '').split(',').filter(Boolean));
let firstAnswer = null;
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function login(client, form, req) {
  const now = new Date();
  const user =
    SKIP.has('query') && firstAnswer
      ? firstAnswer
      : (firstAnswer = (await db.query({ ...LOGIN, values: [client.tenant_id, usernameKey(form.get('username')), now] })).rows[0]);
  if (!user?.id || !(await argon2.verify(user.password_hash, form.get('password'))) || user.locked || user.disabled || user.tenant_status !== 'active') {
    return [400, { error: 'invalid_grant' }];
  }
  const iat = Math.floor(now.getTime() / 1000);
  const jti = randomUUID();
  const scope = user.scopes.join(' ');
  const claims = { iss: 'http://localhost', sub: user.id, aud: 'http://localhost', exp: iat + 900, iat, nbf: iat, jti, client_id: 'admin-cli', scope, tenant_id: user.tenant_id, tenant: user.tenant_slug };
  const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'k'.repeat(43) })}.${b64(claims)}`;
  const accessToken = SKIP.has('sign') ? `${input}.` : `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  const refreshToken = randomBytes(32).toString('base64url');
  if (!SKIP.has('insert')) await db.query({
    ...ISSUE,
    values: [
      randomUUID(), user.tenant_id, user.id, client.id, scope, now, new Date(now.getTime() + 30 * 86400e3),
      createHash('sha256').update(refreshToken).digest(), jti, new Date((iat + 900) * 1000), new Date(now.getTime() + 7 * 86400e3),
      // The audit event: at, tenant_id, actor, action, target, ip, user_agent, outcome, details.
      now, user.tenant_id, user.id, 'login.succeeded', user.id, req.socket.remoteAddress, req.headers['user-agent'] ?? null, 'success',
      { client_id: 'admin-cli', jti, scope },
    ],
  });
  return [200, { access_token: accessToken, token_type: 'Bearer', expires_in: 900, refresh_token: refreshToken, scope }];
}

async function main() {
  const { rows } = await db.query(`SELECT id, tenant_id FROM clients WHERE client_id = 'admin-cli'`);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      login(rows[0], new URLSearchParams(Buffer.concat(chunks).toString()), req)
        .catch((err) => [500, { error: 'server_error', detail: err.message }])
        .then(([status, body]) => {
          res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' });
          res.end(JSON.stringify(body));
        });
    });
  });
  server.listen(Number(port), '127.0.0.1', () => process.send({ listening: true }));
  process.on('disconnect', () => process.exit(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
