'use strict';
// Why the service's JWKS answers fewer per second than a bare node:http server sending the same
// bytes: the answer's own code, or the application around it? Three servers, the same answer:
//   service  the service (dist/src/main.js on a fresh PostgreSQL database), answering directly;
//   direct   a bare node:http server running the service's own directJwks and metrics recorder;
//   bare     a bare node:http server writing the recorded answer (ceilings/static-http.js).
// Rounds alternate between the three so a phase of the host falls on all of them; each round
// gives the rate and the server's CPU per answer (all its threads, from /proc). First with the
// service fresh (it has served nothing but its readiness checks), then again after it has served
// the grant workloads of token-endpoint (logins, refreshes, client_credentials).
//   node bench/jwks-process.js [rounds=6] [seconds=3] [grants=login,refresh,client_credentials]
// (npm run build first)
const autocannon = require('autocannon');
const { withService, credentials, workload, bareJwks } = require('./token-setup');
const { runChild, median, cpuRound } = require('./lib');

const [rounds, seconds] = [Number(process.argv[2] ?? 6), Number(process.argv[3] ?? 3)];
const GRANTS = (process.argv[4] ?? 'login,refresh,client_credentials').split(',');
const CONNECTIONS = 32;
const ADDED_BY_THE_ANSWER = ['vary', 'cache-control', 'etag', 'content-type', 'x-request-id'];

async function measure(servers, label) {
  for (const s of servers) {
    await autocannon({ url: s.url, connections: CONNECTIONS, duration: 2 });
    Object.assign(s, { rates: [], cpu: [] });
  }
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? [...servers].reverse() : servers) {
      const { perSec, cpuMs } = await cpuRound(s, { connections: CONNECTIONS, seconds });
      s.rates.push(perSec);
      s.cpu.push(+cpuMs.toFixed(4));
    }
    console.log(`${label} round ${r + 1}: ${servers.map((s) => `${s.name} ${s.rates.at(-1)}/s ${s.cpu.at(-1)} ms`).join(', ')}`);
  }
  const bare = servers.find((s) => s.name === 'bare');
  // Per round, against the bare server measured beside it: steadier than a ratio of medians.
  const against = (s) => ({ rate: +median(s.rates.map((x, i) => x / bare.rates[i])).toFixed(2), cpu: +median(s.cpu.map((x, i) => x / bare.cpu[i])).toFixed(2) });
  return Object.fromEntries(servers.map((s) => [s.name, { perSec: median(s.rates), cpuMsPerAnswer: median(s.cpu), ...(s === bare ? {} : { againstBare: against(s) }) }]));
}

/** The comparison holds only if both give the very same answer: body and headers, but the date and request id. */
async function sameAnswer(a, b) {
  const read = async (url) => {
    const answer = await fetch(url);
    const headers = [...answer.headers].filter(([name]) => !['date', 'x-request-id'].includes(name));
    return JSON.stringify([answer.status, headers, await answer.text()]);
  };
  const [x, y] = [await read(a), await read(b)];
  if (x !== y) throw new Error(`the direct server's answer differs from the service's:\n${x}\n${y}`);
}

withService(3927, async (service) => {
  const url = `${service.base}/.well-known/jwks.json`;
  const bare = await bareJwks(service.base, 3928);
  const { headers, body } = bare;
  const securityHeaders = Object.fromEntries(Object.entries(headers).filter(([name]) => !ADDED_BY_THE_ANSWER.includes(name)));
  const maxAge = Number(/max-age=(\d+)/.exec(headers['cache-control'])[1]);
  const direct = await runChild('ceilings/direct-jwks.js', ['3929', JSON.stringify({ etag: headers.etag, body, maxAge, securityHeaders })]);
  try {
    await sameAnswer(url, 'http://127.0.0.1:3929/.well-known/jwks.json');
    const servers = [
      { name: 'service', url, pid: service.pid },
      { name: 'direct', url: 'http://127.0.0.1:3929/.well-known/jwks.json', pid: direct.msg.pid },
      { name: 'bare', url: bare.url, pid: bare.pid },
    ];
    const fresh = await measure(servers, 'fresh');
    const creds = await credentials(service.base, { users: 16 });
    for (const name of GRANTS) {
      await autocannon({ ...(await workload(name, service.base, creds)), duration: 5 });
    }
    const afterGrants = await measure(servers, 'after the grants');
    console.log(JSON.stringify({ connections: CONNECTIONS, rounds, seconds, grants: GRANTS, fresh, afterGrants }, null, 2));
  } finally {
    bare.stop();
    direct.child.kill();
  }
});
