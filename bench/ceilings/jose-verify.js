'use strict';
// Raw single-core verify ceiling of GET /verify and POST /introspect: jose's jwtVerify of a real
// Tessera RS256 access token with its public key (from the service's JWKS, imported as the
// service does), with the options the service passes, in a tight async loop on this one thread.
//   node bench/ceilings/jose-verify.js <seconds> <token> <jwks json> <issuer> [jose|node:crypto]
// node:crypto: the bare RSA signature check of the same token (no JOSE parsing or claim checks).
const { createPublicKey, verify } = require('node:crypto');
const { jwtVerify } = require('jose');

const [seconds, token, jwksJson, issuer, mode = 'jose'] = process.argv.slice(2);
const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
const jwk = JSON.parse(jwksJson).keys.find((k) => k.kid === header.kid);
if (!jwk || header.alg !== 'RS256') throw new Error(`no RS256 key ${header.kid} in the JWKS`);
const key = createPublicKey({ key: jwk, format: 'jwk' });
// What AccessTokenVerifier.verifySignature asks of jose (CLOCK_SKEW is 60 s).
const options = { issuer, typ: 'at+jwt', algorithms: ['RS256', 'ES256', 'EdDSA'], clockTolerance: 60, requiredClaims: ['exp', 'iat', 'jti', 'sub', 'aud'] };

const dot = token.lastIndexOf('.');
const input = Buffer.from(token.slice(0, dot));
const signature = Buffer.from(token.slice(dot + 1), 'base64url');
const verifiers = {
  jose: async () => {
    const { payload } = await jwtVerify(token, key, options);
    if (!payload.jti) throw new Error('no jti');
  },
  'node:crypto': async () => {
    if (!verify('sha256', input, key, signature)) throw new Error('bad signature');
  },
};

async function main() {
  const once = verifiers[mode];
  if (!once) throw new Error(`unknown mode ${mode}`);
  for (let i = 0; i < 200; i++) await once();
  const end = Date.now() + Number(seconds) * 1000;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let n = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 20; i++) await once();
    n += 20;
  }
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  // jose checks the signature with crypto.verify's callback form, on libuv's thread pool: the
  // loop's one verify in flight hops there and back, so this process's CPU (all its threads) is
  // reported beside the rate.
  const cores = +((cpu.user + cpu.system) / 1e6 / wallSeconds).toFixed(2);
  process.send({ verifiesPerSec: Math.round(n / wallSeconds), cores, mode }, () => process.exit(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
