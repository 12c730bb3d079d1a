'use strict';
// npm run bench [-- <name>...]: builds nothing; run `npm run build` first (npm run bench does).
// Each benchmark starts the built service on a fresh DATA_DIR (jwks: embedded database, or
// DATABASE_URL when set; the grants: a fresh database on the local PostgreSQL server, or
// BENCH_DATABASE_URL; verify: embedded, or DATABASE_URL; introspect: one of each), drives it
// with autocannon from this process, and writes bench/results/<name>.json. middleware needs no
// service: it builds packages/verifier and measures its verify path in this process.
const benches = { jwks: require('./jwks'), 'metrics-cost': require('./metrics-cost'), ...require('./grants'), ...require('./verify'), middleware: require('./middleware') };

async function main() {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  for (const name of names.length ? names : Object.keys(benches)) {
    if (!benches[name]) throw new Error(`unknown benchmark ${name}; have ${Object.keys(benches).join(', ')}`);
    await benches[name]();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
