'use strict';
// Whether this VM's two cores serve HTTP alike right now: the bare node:http server answering
// the JWKS's bytes (ceilings/static-http.js) and oidc-provider's JWKS (the token-endpoint peer),
// each moved between core 0 and core 1 by taskset round by round, alternating which core goes
// first. A diagnosis only: token-endpoint never pins the service (it measures the peer on each core).
//   node bench/cores.js [rounds=4] [seconds=3]   (npm run build first)
const autocannon = require('autocannon');
const { withService, startPeer, moveToCore, bareJwks } = require('./token-setup');
const { median, cpuRound } = require('./lib');

const [rounds, seconds] = [Number(process.argv[2] ?? 4), Number(process.argv[3] ?? 3)];
const CONNECTIONS = 32;

withService(3961, async (service) => {
  const bare = await bareJwks(service.base, 3962);
  const peer = await startPeer(3963, 1);
  try {
    const servers = [
      { name: 'bare node:http', url: bare.url, pid: bare.pid },
      { name: "oidc-provider's JWKS", url: peer.jwksUrl, pid: peer.pid },
    ];
    const summary = {};
    for (const s of servers) {
      await autocannon({ url: s.url, connections: CONNECTIONS, duration: 2 });
      const byCore = { 0: [], 1: [] };
      for (let r = 0; r < rounds; r++) {
        for (const core of r % 2 ? [1, 0] : [0, 1]) {
          moveToCore(s.pid, core);
          const { perSec, cpuMs } = await cpuRound(s, { connections: CONNECTIONS, seconds });
          byCore[core].push({ perSec, cpuUs: +(cpuMs * 1000).toFixed(1) });
          console.log(`${s.name} round ${r + 1}, core ${core}: ${perSec}/s, ${(cpuMs * 1000).toFixed(1)} µs of CPU per answer`);
        }
      }
      summary[s.name] = Object.fromEntries(
        Object.entries(byCore).map(([core, xs]) => [`core ${core}`, { perSec: median(xs.map((x) => x.perSec)), cpuUsPerAnswer: median(xs.map((x) => x.cpuUs)) }]),
      );
    }
    console.log(JSON.stringify({ connections: CONNECTIONS, rounds, seconds, ...summary }, null, 2));
  } finally {
    bare.stop();
    peer.stop();
  }
});
