'use strict';
// npm run bench [-- <name>...] [--rounds N] [--duration S]: builds nothing; run `npm run build`
// first (npm run bench does). Each benchmark starts the built service on a fresh DATA_DIR
// (token-endpoint and the grants: a fresh database on the local PostgreSQL server, or
// BENCH_DATABASE_URL; jwks: embedded database, or DATABASE_URL when set; verify: embedded, or
// DATABASE_URL; introspect: one of each), drives it with autocannon from this process, and
// writes bench/results/<name>.json. middleware needs no service: it builds packages/verifier and
// measures its verify path in this process. With no name, token-endpoint (issue #12's figures)
// runs first, then every other one.
// npm run bench -- --soak <seconds>: only the soak (bench/soak.js), mixed traffic for that long.
const benches = {
  'token-endpoint': require('./token-endpoint'),
  jwks: require('./jwks'),
  'metrics-cost': require('./metrics-cost'),
  ...require('./grants'),
  ...require('./verify'),
  middleware: require('./middleware'),
};

/** Names, and the numeric flags (--rounds, --duration, --soak) with their values. */
function parse(argv) {
  const names = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = /^--(rounds|duration|soak)(?:=(.*))?$/.exec(argv[i]);
    if (!flag) {
      if (argv[i].startsWith('-')) throw new Error(`unknown option ${argv[i]}`);
      names.push(argv[i]);
      continue;
    }
    const value = Number(flag[2] ?? argv[++i]);
    if (!(value > 0)) throw new Error(`--${flag[1]} needs a positive number`);
    flags[flag[1]] = value;
  }
  return { names, flags };
}

async function main() {
  const { names, flags } = parse(process.argv.slice(2));
  if (flags.soak) {
    if (names.length) throw new Error('--soak runs alone: no benchmark names with it');
    const ok = await require('./soak')({ seconds: flags.soak });
    process.exitCode = ok ? 0 : 1;
    return;
  }
  // Only the options given: each benchmark keeps its own defaults for the rest.
  const options = Object.fromEntries(Object.entries(flags).filter(([k]) => k === 'rounds' || k === 'duration'));
  for (const name of names.length ? names : Object.keys(benches)) {
    if (!benches[name]) throw new Error(`unknown benchmark ${name}; have ${Object.keys(benches).join(', ')}`);
    await benches[name](options);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
