'use strict';
// The refresh grant's ceiling (issue #12): node:crypto signing a whole RFC 9068 access token on
// one core, as Tessera must for every grant: the contract 2.2 header and claims built, JSON and
// base64url encoded and RS256 signed per token (fresh iat, jti), not one fixed input re-signed.
//   node bench/ceilings/sign-jwt.js <seconds>
const { generateKeyPairSync, randomUUID, sign } = require('node:crypto');

const seconds = Number(process.argv[2] || 5);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
// A kid as long as Tessera's (a base64url SHA-256 thumbprint) and its claims' shapes.
const header = { alg: 'RS256', typ: 'at+jwt', kid: 'k'.repeat(43) };
const tenantId = randomUUID();
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

function token() {
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'http://localhost:3000', sub: randomUUID(), aud: 'http://localhost:3000', exp: iat + 900, iat, nbf: iat,
    jti: randomUUID(), client_id: 'bench-app', scope: 'models:list ocr:infer', tenant_id: tenantId, tenant: 'bench',
  };
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

for (let i = 0; i < 50; i++) token();
const end = Date.now() + seconds * 1000;
const t0 = process.hrtime.bigint();
let n = 0;
while (Date.now() < end) {
  for (let i = 0; i < 20; i++) token();
  n += 20;
}
process.send({ tokensPerSec: Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9)) }, () => process.exit(0));
