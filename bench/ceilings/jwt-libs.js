'use strict';
// The same RS256 access token (contract 2.2 header and claims) signed on one core by
// node:crypto directly, by @nestjs/jwt and by jose (what the service signs with): the measurement
// behind "use @nestjs/jwt unless jose or node:crypto is clearly faster".
const { generateKeyPairSync, sign, randomUUID } = require('node:crypto');
const { JwtService } = require('@nestjs/jwt');
const { SignJWT } = require('jose');

const seconds = Number(process.argv[2] || 7);
const rounds = 7;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const header = { alg: 'RS256', typ: 'at+jwt', kid: 'x'.repeat(43) };
const jwt = new JwtService({});

function claims() {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: 'http://localhost:3000', sub: randomUUID(), aud: 'http://localhost:3000', exp: iat + 900, iat, nbf: iat,
    jti: randomUUID(), client_id: 'admin-cli', scope: 'models:list models:read chat:completions',
    tenant_id: randomUUID(), tenant: 'system',
  };
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const signers = {
  'node:crypto': () => {
    const input = `${b64(header)}.${b64(claims())}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  },
  '@nestjs/jwt': () => jwt.sign(claims(), { privateKey, algorithm: 'RS256', header }),
  jose: () => new SignJWT(claims()).setProtectedHeader(header).sign(privateKey),
};

async function rate(fn, ms) {
  const end = Date.now() + ms;
  const t0 = process.hrtime.bigint();
  let n = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 10; i++) await fn();
    n += 10;
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function main() {
  const names = Object.keys(signers);
  for (const name of names) await rate(signers[name], 300);
  // Short interleaved slices, median per library: the machine's drift hits all three alike.
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) runs[name].push(await rate(signers[name], (seconds * 1000) / rounds / names.length));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const tokensPerSec = Object.fromEntries(names.map((n) => [n, Math.round(median(runs[n]))]));
  process.send({ tokensPerSec }, () => process.exit(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
