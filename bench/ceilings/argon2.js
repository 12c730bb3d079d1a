'use strict';
// Raw argon2id verify rate at the service's parameters, with `concurrency` verifies in flight:
// the ceiling of the password grant, which can do no better than its one verify per login.
// @node-rs/argon2 verifies on libuv's thread pool, so concurrent loops use both cores.
const { hash, verify } = require('@node-rs/argon2');

const seconds = Number(process.argv[2] || 5);
const concurrency = Number(process.argv[3] || 4);
const options = {
  algorithm: 2, // Argon2id (the package's Algorithm enum has no runtime value)
  memoryCost: Number(process.env.ARGON2_MEMORY_KIB || 19456),
  timeCost: Number(process.env.ARGON2_ITERATIONS || 2),
  parallelism: Number(process.env.ARGON2_PARALLELISM || 1),
};

async function main() {
  const password = 'bench-admin-password';
  const stored = await hash(password, options);
  await Promise.all(Array.from({ length: concurrency }, () => verify(stored, password)));
  let n = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        if (!(await verify(stored, password))) throw new Error('verify failed');
        n++;
      }
    }),
  );
  const verifiesPerSec = Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9));
  process.send({ verifiesPerSec, concurrency, params: `m=${options.memoryCost},t=${options.timeCost},p=${options.parallelism}` }, () => process.exit(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
