'use strict';
// A/B of two configurations or two builds, under the same phase of a noisy host: both services
// run at once (each on its own fresh database), and short rounds of one workload alternate
// between them, so a slow minute of the host falls on both. Prints each round and the medians,
// of the rate and of the service's CPU per request (all its threads, from /proc).
//   node bench/ab.js <login|refresh|client_credentials|jwks> '<A>' '<B>' [rounds] [seconds] [before]
// A and B are JSON objects of environment variables for the service; a key "@dist" instead names
// the build directory to run (default: dist), e.g. a copy of dist made before a change inside
// the project, so that it finds node_modules: cp -r dist bench/results/dist-before; a key "@node"
// gives options for node itself, e.g. {"@node":"--single-threaded-gc"}. Postgres' CPU per
// request is counted over each round too (both services share the server; one runs at a time).
// A sixth argument lists workloads driven once on both services before the warm-up, e.g.
// login,refresh,client_credentials before jwks, as token-endpoint's JWKS rounds follow its grants':
// what a process has served before shapes what V8 made of Node's shared HTTP code. Run a change
// both ways round with it: an A/A run (one build on both sides) with those three first gave B
// 6 of 10 rounds and 0.89x the CPU per answer (2026-12-06), and a change that won 10 of 12 and
// 11 of 12 as B won 5 of 12 as A.
const { resolve } = require('node:path');
const autocannon = require('autocannon');
const { withService, credentials, workload: workloadLoad } = require('./token-setup');
const { processTicks, postgresTicks, median } = require('./lib');

const [workload = 'client_credentials', envA = '{}', envB = '{}', roundsArg = '8', secondsArg = '3', beforeArg = ''] = process.argv.slice(2);
const before = beforeArg.split(',').filter(Boolean);
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);

const options = (base, creds) => workloadLoad(workload, base, creds);

withService(3931, async (a) =>
  withService(3932, async (b) => {
    const sides = [
      { name: 'A', env: envA, service: a },
      { name: 'B', env: envB, service: b },
    ];
    for (const side of sides) {
      side.creds = await credentials(side.service.base, { users: 16 });
      for (const name of before) await autocannon({ ...(await workloadLoad(name, side.service.base, side.creds)), duration: 5 });
      await autocannon({ ...(await options(side.service.base, side.creds)), duration: workload === 'login' ? 8 : 3 });
      side.rates = [];
      side.cpu = [];
      side.pg = [];
      side.p50 = [];
      side.p99 = [];
    }
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so neither always follows the other's load.
      for (const side of r % 2 ? [...sides].reverse() : sides) {
        const opts = await options(side.service.base, side.creds);
        const [before, pgBefore] = [processTicks(side.service.pid), postgresTicks()];
        const result = await autocannon({ ...opts, duration: seconds });
        if (result.non2xx) throw new Error(`${side.name}: ${result.non2xx} non-2xx answers`);
        const perRequest = (t) => +((t * 10) / result.requests.total).toFixed(4);
        side.rates.push(Math.round(result.requests.average));
        side.cpu.push(perRequest(processTicks(side.service.pid) - before));
        // The sides share one PostgreSQL server, but only this side's load runs in its round.
        side.pg.push(perRequest(postgresTicks() - pgBefore));
        side.p50.push(result.latency.p50);
        side.p99.push(result.latency.p99);
      }
      const line = (s) => `${s.name} ${s.rates.at(-1)}/s p50/p99 ${s.p50.at(-1)}/${s.p99.at(-1)} ms, ${s.cpu.at(-1)} ms/req (Postgres ${s.pg.at(-1)})`;
      console.log(`round ${r + 1}: ${line(sides[0])}, ${line(sides[1])}`);
    }
    const [ma, mb] = sides.map((s) => median(s.rates));
    const [ca, cb] = sides.map((s) => median(s.cpu));
    const [pa, pb] = sides.map((s) => median(s.pg));
    const latency = (s) => `${median(s.p50)}/${median(s.p99)}`;
    const wins = sides[1].rates.filter((rate, i) => rate > sides[0].rates[i]).length;
    console.log(
      JSON.stringify({
        workload,
        ...(before.length ? { before } : {}),
        A: { env: JSON.parse(envA), median: ma, p50p99Ms: latency(sides[0]), cpuMsPerReq: ca, postgresMsPerReq: pa },
        B: { env: JSON.parse(envB), median: mb, p50p99Ms: latency(sides[1]), cpuMsPerReq: cb, postgresMsPerReq: pb },
        'B/A rate': +(mb / ma).toFixed(3),
        'B/A cpu per request': +(cb / ca).toFixed(3),
        roundsBWon: `${wins}/${rounds}`,
      }),
    );
  }, ...serviceOf(envB)), ...serviceOf(envA));

/** withService's environment, build and Node options for a side's JSON. */
function serviceOf(json) {
  const { '@dist': dist, '@node': node, ...env } = JSON.parse(json);
  return [env, dist && resolve(dist), node ? node.split(' ') : []];
}
