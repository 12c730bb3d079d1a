'use strict';
// Where a grant's CPU goes, by thread: the service started as the benchmarks start it (fresh
// PostgreSQL database, credentials through the admin API), one workload driven for a warm-up and
// then measured, and the CPU each of the service's threads, Postgres' processes and this load
// generator spent per request (from /proc, user + system: the kernel's share of a thread counts).
//   node bench/threads.js <login|refresh|client_credentials|jwks> [seconds]   (npm run build first)
// The event loop is the service's pid; libuv's pool (signing) and the argon2 threads are the
// others. Add --cpu-prof to NODE_OPTIONS of the service by hand for a V8 profile: note that it
// samples the event loop only, and charges a wake-up of another thread to the caller.
const { readdirSync, readFileSync } = require('node:fs');
const autocannon = require('autocannon');
const { withService, credentials, workload: workloadLoad } = require('./token-setup');
const { statTicks, postgresTicks } = require('./lib');

const PORT = 3925;
const [workload = 'client_credentials', seconds = '8'] = process.argv.slice(2);

const threadTicks = (pid) => Object.fromEntries(readdirSync(`/proc/${pid}/task`).map((tid) => [tid, statTicks(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'))]));
/** The name Node or the kernel gave a thread (libuv's pool, V8's helpers, a worker). */
const threadName = (pid, tid) => {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
};

const options = (base, creds) => workloadLoad(workload, base, creds);

withService(PORT, async (service) => {
  const creds = await credentials(service.base, { users: 16 });
  // A login must reach V8's optimised tiers first (see grants.js); the others warm up quickly.
  await autocannon({ ...(await options(service.base, creds)), duration: workload === 'login' ? 10 : 3 });
  const opts = await options(service.base, creds);
  const [threads0, pg0, self0] = [threadTicks(service.pid), postgresTicks(), process.cpuUsage()];
  const result = await autocannon({ ...opts, duration: Number(seconds) });
  const [threads1, pg1, self1] = [threadTicks(service.pid), postgresTicks(), process.cpuUsage(self0)];
  const n = result.requests.total;
  const ms = (t) => +((t * 10) / n).toFixed(3);
  const threads = Object.entries(threads1)
    .map(([tid, t]) => [tid === String(service.pid) ? 'event loop' : `thread ${tid} (${threadName(service.pid, tid)})`, ms(t - (threads0[tid] ?? 0))])
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  console.log(
    JSON.stringify(
      {
        workload,
        requestsPerSec: Math.round(result.requests.average),
        non2xx: result.non2xx,
        'CPU ms per request': { ...Object.fromEntries(threads), postgres: ms(pg1 - pg0), 'load generator': +((self1.user + self1.system) / 1000 / n).toFixed(3) },
      },
      null,
      2,
    ),
  );
}).catch((err) => {
  console.error(err);
  process.exit(1);
});
