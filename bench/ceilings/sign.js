'use strict';
// Raw single-core signing ceiling: node:crypto signing JWT-sized inputs with a cached key.
const { generateKeyPairSync, sign } = require('node:crypto');

const seconds = Number(process.argv[2] || 5);
const algs = {
  RS256: () => [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'sha256'],
  ES256: () => [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'sha256'],
  EdDSA: () => [generateKeyPairSync('ed25519').privateKey, null],
};
const which = (process.argv[3] || 'RS256').split(',');
const input = Buffer.from('eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.' + 'x'.repeat(300));
const result = {};
for (const alg of which) {
  const [key, hash] = algs[alg]();
  for (let i = 0; i < 50; i++) sign(hash, input, key);
  const end = Date.now() + seconds * 1000;
  let n = 0;
  const t0 = process.hrtime.bigint();
  while (Date.now() < end) {
    for (let i = 0; i < 20; i++) sign(hash, input, key);
    n += 20;
  }
  result[alg] = Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9));
}
process.send({ signsPerSec: result }, () => process.exit(0));
