'use strict';
// Whether options for node (V8 flags, say) change what the JWKS costs once the service has served
// the grants. bench/ab.js cannot show it: two processes fed the same traffic can end up 10% apart
// (see its comment). So each side is several services, started one after another, alternating
// sides: each on a fresh PostgreSQL database, fed the grant workloads of token-endpoint (5 s each),
// then measured in 4 rounds paired with a bare node:http server answering the same bytes
// (ceilings/static-http.js). Prints, per service, its CPU per answer over the bare server's.
//   node bench/jwks-node-options.js '<node options>' [services per side=3]   (npm run build first)
//   e.g. node bench/jwks-node-options.js '--max-valid-polymorphic-map-count=16'
const autocannon = require('autocannon');
const { withService, credentials, workload, bareJwks } = require('./token-setup');
const { median, cpuRound } = require('./lib');

const [options = '', perSide = '3'] = process.argv.slice(2);
const sides = [[], options.split(' ').filter(Boolean)];
const cpuPerAnswer = async (target) => (await cpuRound(target, { connections: 32, seconds: 3 })).cpuMs;

(async () => {
  let bare;
  const results = [[], []];
  try {
    for (let n = 0; n < Number(perSide); n++) {
      for (const side of n % 2 ? [1, 0] : [0, 1]) {
        await withService(3933, async (service) => {
          const url = `${service.base}/.well-known/jwks.json`;
          bare ??= await bareJwks(service.base, 3934);
          const creds = await credentials(service.base, { users: 16 });
          for (const name of ['login', 'refresh', 'client_credentials']) await autocannon({ ...(await workload(name, service.base, creds)), duration: 5 });
          const measured = { url, pid: service.pid };
          for (const t of [measured, bare]) await autocannon({ url: t.url, connections: 32, duration: 2 });
          const ratios = [];
          for (let r = 0; r < 4; r++) {
            // Every other round the bare server goes first, so neither always follows the other.
            const cpu = new Map();
            for (const t of r % 2 ? [bare, measured] : [measured, bare]) cpu.set(t, await cpuPerAnswer(t));
            ratios.push(cpu.get(measured) / cpu.get(bare));
          }
          results[side].push(+median(ratios).toFixed(2));
          console.log(`${side ? options : 'no options'}: service/bare CPU per answer ${ratios.map((x) => x.toFixed(2)).join(' ')}, median ${median(ratios).toFixed(2)}`);
        }, {}, undefined, sides[side]);
      }
    }
    console.log(JSON.stringify({ options, without: results[0], with: results[1] }));
  } finally {
    bare?.stop();
  }
})();
