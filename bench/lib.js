'use strict';
// Shared pieces of the benchmarks: start the built service as a child process, drive it with
// autocannon, and measure the raw ceilings (signing, hashing) in a process of their own.
const { spawn, fork } = require('node:child_process');
const { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');

const ROOT = join(__dirname, '..');

/** The fields of a /proc stat line after the command name (which may hold spaces): [0] is the state, field 3 of proc(5). */
function statFields(stat) {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The middle value (the upper of the two middles for an even count). */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * One round of GETs at `target.url` (a server whose process is `target.pid`): its rate and that
 * process's CPU per answer (all its threads, from /proc). Any failed answer fails the round.
 */
async function cpuRound(target, { connections, seconds }) {
  const before = processTicks(target.pid);
  const result = await autocannon({ url: target.url, connections, duration: seconds });
  if (result.non2xx || result.errors) throw new Error(`${target.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { perSec: Math.round(result.requests.average), cpuMs: ((processTicks(target.pid) - before) * 10) / result.requests.total };
}

/** CPU ticks (1/100 s) of a /proc stat line: utime + stime (+ cutime + cstime, its reaped children's, with `children`). */
function statTicks(stat, children = false) {
  const fields = statFields(stat);
  return Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0);
}

/**
 * CPU ticks of the PostgreSQL server on this host: its live processes' and, through the
 * postmaster's reaped children, those of backends that exited meanwhile (a closed connection).
 */
function postgresTicks() {
  let sum = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8') === 'postgres\n') sum += statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'), true);
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

async function waitReady(url, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/**
 * Starts dist/src/main.js (or another build's, `dist`) on a fresh DATA_DIR (and DATABASE_URL if
 * given); nodeArgs e.g. --cpu-prof.
 */
async function startService({ port, env = {}, nodeArgs = [], dist = join(ROOT, 'dist') }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const child = spawn(process.execPath, [...nodeArgs, join(dist, 'src/main.js')], {
    // The production default log level: the access log is part of what a request costs.
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'info', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  // A service that fails to start (say, a bad variable) ends the wait at once.
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`service exited with ${code}`))));
  exited.catch(() => undefined);
  await Promise.race([waitReady(`${base}/health/ready`), exited]);
  return {
    base,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A database for one benchmark: BENCH_DATABASE_URL as given (an empty database, left in place),
 * else a fresh uniquely named one on the local server, dropped by drop().
 */
async function freshDatabase() {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, async drop() {} };
  const admin = process.env.BENCH_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `tessera_bench_${Date.now()}_${process.pid}`;
  const sql = async (text) => {
    const client = new Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await sql(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Runs a child script (bench/ceilings/*.js) and returns the JSON it sends back. */
function runChild(script, args = []) {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (msg) => resolve({ child, msg }));
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`${script} exited with ${code}`)));
  });
}

/** RS256 access tokens/s on one core by node:crypto, @nestjs/jwt and jose (ceilings/jwt-libs.js). */
async function jwtLibraries() {
  return (await runChild('ceilings/jwt-libs.js')).msg.tokensPerSec;
}

/** Drives `opts.url`; every response must have status `expect` (default 200). */
async function load(name, { expect = 200, ...opts }) {
  const result = await autocannon({ connections: 50, duration: 10, pipelining: 1, ...opts });
  const ok = result.statusCodeStats?.[expect]?.count ?? 0;
  const non2xx = result.requests.total - ok + result.errors + result.timeouts;
  const summary = {
    name,
    requestsPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: non2xx,
  };
  if (non2xx > 0) {
    throw new Error(`${name}: ${non2xx} failed requests (first status codes: ${JSON.stringify(result.statusCodeStats)})`);
  }
  return summary;
}

/**
 * Measures each target `rounds` times, interleaved, and keeps each one's median round, so a
 * passing disturbance on this shared 2-core machine does not decide a ratio.
 */
async function compare(targets, { rounds = 5, duration = 4, connections = 50, warmup = 2 } = {}) {
  // A target either gives autocannon options or measures itself (a ceiling in a child process,
  // or a load that needs fresh credentials each round): measure({ duration, connections }).
  // A target's prepare(opts), when given, runs before each of its rounds (and its warm-up),
  // outside the round and its steal: say, bringing a cache back to its steady state.
  const measure = ({ prepare, pid, ...t }, opts) => (t.measure ? t.measure(opts) : load(t.name, { ...t, ...opts }));
  const prepare = async (t, opts) => t.prepare && (await t.prepare(opts));
  const runs = targets.map(() => []);
  const steals = targets.map(() => []);
  const others = targets.map(() => []);
  // Warm-up: a service is measured in its steady state, its hot code compiled by V8's optimiser.
  for (const t of targets) {
    await prepare(t, { duration: warmup, connections });
    await measure({ ...t, name: 'warm-up' }, { duration: warmup, connections });
  }
  for (let r = 0; r < rounds; r++) {
    // Every other round runs in reverse, so no target always follows the same one.
    const order = [...targets.keys()];
    if (r % 2) order.reverse();
    for (const i of order) {
      await prepare(targets[i], { duration, connections });
      const before = cpuTimes();
      const pidBefore = targets[i].pid && processTicks(targets[i].pid);
      const cores = targets[i].pid && sampleCore(targets[i].pid);
      const run = await measure(targets[i], { duration, connections }).finally(() => cores && cores.stop());
      if (cores) run.core0 = cores.share();
      // The service's own CPU per request (all its threads): steadier than a rate when other
      // work shares the machine, since it counts what a request costs, not what it got.
      if (targets[i].pid) run.cpuMsPerReq = +(((processTicks(targets[i].pid) - pidBefore) * 10) / run.requests).toFixed(4);
      runs[i].push(run);
      const after = cpuTimes();
      steals[i].push(stealPercent(before, after));
      others[i].push(otherPercent(before, after));
    }
  }
  return runs.map((rs, i) => {
    const sorted = rs.map(({ core0, ...run }) => run).sort((a, b) => a.requestsPerSec - b.requestsPerSec);
    const cpu = rs.map((x) => x.cpuMsPerReq).filter((x) => x !== undefined).sort((a, b) => a - b);
    return {
      ...sorted[Math.floor(sorted.length / 2)],
      // The lowest round too: noise only ever adds CPU time, so it is the steadiest estimate of the cost.
      ...(cpu.length ? { cpuMsPerReq: cpu[Math.floor(cpu.length / 2)], cpuMsPerReqMin: cpu[0] } : {}),
      rounds: rs.map((x) => x.requestsPerSec).join('/'),
      ...(rs[0].core0 !== undefined ? { 'core 0 %': rs.map((x) => x.core0).join('/') } : {}),
      stealPct: steals[i].join('/'),
      otherPct: others[i].join('/'),
    };
  });
}

/**
 * CPU time the hypervisor gave to other guests while this VM wanted it ("steal", /proc/stat),
 * as a share of the round: a round with much steal measured the host, not the service.
 */
function cpuTimes() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = fields.map(Number);
  // user, nice, system, irq, softirq: what every process on this VM kept the cores busy with.
  const busy = n[0] + n[1] + n[2] + n[5] + n[6];
  return { steal: n[7] ?? 0, total: n.slice(0, 8).reduce((a, b) => a + b, 0), busy, tree: treeTicks() };
}

/**
 * Which core a process's main thread runs on, sampled every 50 ms until stop(); share() is the
 * share of the samples on core 0 (%). On this 2-core VM one core is at times much slower than the
 * other for the same code; a process that is not pinned lands on either.
 */
function sampleCore(pid) {
  let samples = 0;
  let onZero = 0;
  const timer = setInterval(() => {
    try {
      // processor, field 39 of proc(5): the core the thread last ran on.
      const processor = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[36];
      samples++;
      if (processor === '0') onZero++;
    } catch {
      // gone
    }
  }, 50);
  return { stop: () => clearInterval(timer), share: () => (samples ? Math.round((100 * onZero) / samples) : 0) };
}

/** utime + stime of a process (all its threads), in clock ticks of 10 ms. */
function processTicks(pid) {
  return statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

function stealPercent(before, after) {
  const total = after.total - before.total;
  return total > 0 ? Math.round((100 * (after.steal - before.steal)) / total) : 0;
}

/**
 * CPU ticks of this process and its descendants (the service, its threads, the ceilings' child
 * processes), with those of their children already reaped (cutime, cstime).
 */
function treeTicks(root = process.pid) {
  const parent = new Map();
  const ticks = new Map();
  const read = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = statFields(stat);
      parent.set(pid, Number(f[1]));
      ticks.set(pid, statTicks(stat, true));
    } catch {
      // gone meanwhile
    }
  };
  for (const name of readdirSync('/proc')) if (/^\d+$/.test(name) && Number(name) !== root) read(Number(name));
  // The root last: a child reaped during the scan is then counted twice (in its own ticks and in
  // the root's cutime), never missed.
  read(root);
  let sum = 0;
  for (const [pid, t] of ticks) {
    let p = pid;
    for (let depth = 0; p && p !== root && depth < 64; depth++) p = parent.get(p);
    if (p === root) sum += t;
  }
  return sum;
}

/**
 * CPU other processes on this VM used during the round, as a share of all its cores (50 on two
 * cores: one core's worth): another load on a shared machine that steal does not show. For a
 * service on the PostgreSQL server, that server's backends count here too. A child that exits
 * between the two reads can be counted twice, so this errs low, never high.
 */
function otherPercent(before, after) {
  const total = after.total - before.total;
  const other = after.busy - before.busy - (after.tree - before.tree);
  return total > 0 ? Math.max(0, Math.round((100 * other) / total)) : 0;
}

function report(title, rows, extra = {}) {
  const out = { title, at: new Date().toISOString(), node: process.version, rows, ...extra };
  console.log(`\n## ${title}`);
  // Columns a benchmark adds to its rows (say, a ratio to its ceiling) are printed too.
  // The usual columns that some row has, in their usual order, then the rest.
  const usual = ['name', 'requestsPerSec', 'p50Ms', 'p99Ms', 'requests', 'failures', 'rounds', 'stealPct', 'otherPct'];
  const table = (items) => {
    const columns = usual.filter((k) => items.some((row) => k in row));
    for (const row of items) for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
    console.table(items, columns);
  };
  table(rows);
  // A list of rows in `extra` (say, every measurement behind a summary) is a table too.
  for (const [k, v] of Object.entries(extra)) {
    if (Array.isArray(v) && v.every((x) => x && typeof x === 'object')) {
      console.log(`${k}:`);
      table(v);
    } else console.log(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  }
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', `${title.replace(/\W+/g, '-')}.json`), JSON.stringify(out, null, 2));
  return out;
}

module.exports = { ROOT, statFields, median, cpuRound, startService, freshDatabase, runChild, jwtLibraries, load, compare, report, waitReady, statTicks, processTicks, postgresTicks };
