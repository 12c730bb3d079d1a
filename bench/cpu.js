'use strict';
// CPU per request, split by process: robust to other load on the machine, unlike a rate.
//   node bench/cpu.js password [requests]   # default 400 logins, 4 connections
//   node bench/cpu.js refresh [requests]    # default 4000 refreshes, 50 connections
//   node bench/cpu.js ceilings              # one raw argon2id verify, one raw RS256 sign
// Add --prof to start the service under `node --cpu-prof` (profile in bench/results/prof/).
// Reads utime+stime from /proc before and after a fixed number of requests: the service's main
// thread and its other threads (the argon2 worker threads, libuv's pool and V8's helpers), the
// Postgres backends of the benchmark's database, Postgres' own background processes, and
// autocannon (this process). Build first (npm run build).
const { readFileSync, readdirSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { generateKeyPairSync, sign } = require('node:crypto');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { startService, freshDatabase, statFields } = require('./lib');

const TICK_MS = 1000 / 100; // CLK_TCK is 100 on Linux
const ADMIN_PASSWORD = 'bench-admin-password';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PASSWORD_BODY = `grant_type=password&client_id=admin-cli&username=admin&password=${ADMIN_PASSWORD}`;

function ticks(statPath, which = 'both') {
  try {
    const rest = statFields(readFileSync(statPath, 'utf8'));
    const [user, system] = [Number(rest[11]), Number(rest[12])];
    return which === 'user' ? user : which === 'system' ? system : user + system;
  } catch {
    return null; // gone
  }
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** ticks per pid of every postgres process, classed as this database's backend or background. */
function postgresSnapshot(dbName) {
  const out = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let comm;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres') continue;
    const cmd = cmdline(pid);
    const isClient = /\(\d+\)|\[local\]/.test(cmd);
    const cls = cmd.includes(` ${dbName} `) ? 'pg backends' : isClient ? null : 'pg background';
    if (cls) out.set(pid, { cls, t: ticks(`/proc/${pid}/stat`) });
  }
  return out;
}

/**
 * Node starts its own threads first (one for signals and the inspector, then V8's platform
 * workers: GC and compilation, 4 by default); the argon2 worker threads and libuv's pool (async
 * file writes) start at first use. So by creation (thread id) order: main, 5 of Node's, then those.
 */
function serviceSnapshot(pid) {
  const tids = readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
  const at = (tid) => ticks(`/proc/${pid}/task/${tid}/stat`) ?? 0;
  const sum = (list) => list.reduce((a, tid) => a + at(tid), 0);
  return { main: at(pid), mainSystem: ticks(`/proc/${pid}/task/${pid}/stat`, 'system') ?? 0, v8: sum(tids.slice(1, 6)), pool: sum(tids.slice(6)) };
}

/** The whole machine's busy and idle ticks (all cores), from the first line of /proc/stat. */
function machineSnapshot() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}

function snapshot(pid, dbName) {
  const cpu = process.cpuUsage();
  const svc = serviceSnapshot(pid);
  const pg = postgresSnapshot(dbName);
  return { svc, pg, machine: machineSnapshot(), self: (cpu.user + cpu.system) / 1000, at: process.hrtime.bigint() };
}

function breakdown(before, after, n) {
  const per = (ms) => +(ms / n).toFixed(3);
  const pg = { 'pg backends': 0, 'pg background': 0 };
  for (const [pid, { cls, t }] of after.pg) pg[cls] += (t - (before.pg.get(pid)?.t ?? 0)) * TICK_MS;
  const rows = {
    'service main thread': per((after.svc.main - before.svc.main) * TICK_MS),
    '  of which in the kernel': per((after.svc.mainSystem - before.svc.mainSystem) * TICK_MS),
    'service V8 helpers (GC, JIT)': per((after.svc.v8 - before.svc.v8) * TICK_MS),
    'service argon2 threads and libuv pool': per((after.svc.pool - before.svc.pool) * TICK_MS),
    'pg backends': per(pg['pg backends']),
    'pg background': per(pg['pg background']),
    'autocannon (this process)': per(after.self - before.self),
  };
  rows.total = +Object.entries(rows).reduce((a, [k, v]) => (k.startsWith(' ') ? a : a + v), 0).toFixed(3);
  const seconds = Number(after.at - before.at) / 1e9;
  const busyMs = (after.machine.busy - before.machine.busy) * TICK_MS;
  const idleMs = (after.machine.idle - before.machine.idle) * TICK_MS;
  return {
    requests: n,
    'wall s': +seconds.toFixed(2),
    'req/s': Math.round(n / seconds),
    'CPU-ms per request': rows,
    // Whatever else ran on the machine meanwhile, and how much of it stayed idle.
    'machine: other CPU-ms per request': per(busyMs - rows.total * n),
    'machine: idle cores (average)': +(idleMs / 1000 / seconds).toFixed(2),
  };
}

async function run(opts) {
  const result = await autocannon({ pipelining: 1, ...opts });
  const bad = result.requests.total - (result.statusCodeStats?.[200]?.count ?? 0) + result.errors + result.timeouts;
  if (bad) throw new Error(`${bad} failed requests: ${JSON.stringify(result.statusCodeStats)}`);
  return result;
}

async function login(base) {
  const res = await fetch(`${base}/token`, { method: 'POST', headers: FORM, body: PASSWORD_BODY });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return (await res.json()).refresh_token;
}

function refreshRequests(pool) {
  return [
    {
      setupRequest: (req) => ({ ...req, body: `grant_type=refresh_token&client_id=admin-cli&refresh_token=${pool.pop()}` }),
      onResponse: (status, body) => status === 200 && pool.push(JSON.parse(body).refresh_token),
    },
  ];
}

async function measureGrant(kind, n, prof) {
  const db = await freshDatabase();
  const dbName = new URL(db.url).pathname.slice(1);
  const profDir = join(__dirname, 'results', 'prof');
  if (prof) mkdirSync(profDir, { recursive: true });
  let service;
  try {
    service = await startService({
      port: 3921,
      nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
      env: { DATABASE_URL: db.url, ADMIN_PASSWORD, THROTTLE_PER_IP: '999999999/1s', THROTTLE_PER_SUBJECT: '999999999/1s' },
    });
    const url = `${service.base}/token`;
    const connections = Number(process.env.CONNECTIONS) || (kind === 'password' ? 4 : 50);
    const opts = async (amount) => {
      if (kind === 'password') return { url, method: 'POST', headers: FORM, body: PASSWORD_BODY, connections, amount };
      const pool = await Promise.all(Array.from({ length: connections }, () => login(service.base)));
      return { url, method: 'POST', headers: FORM, connections, amount, requests: refreshRequests(pool) };
    };
    await run(await opts(Number(process.env.WARMUP) || Math.max(40, Math.round(n / 4)))); // warm-up: JIT, pool connections, plans
    const o = await opts(n);
    const before = snapshot(service.pid, dbName);
    await run(o);
    const after = snapshot(service.pid, dbName);
    return { grant: kind, connections, ...breakdown(before, after, n) };
  } finally {
    await service?.stop();
    await db.drop();
  }
}

async function ceilings() {
  const { hash, verify } = require('@node-rs/argon2');
  const stored = await hash(ADMIN_PASSWORD, { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const verifies = 200;
  let c0 = cpuMs();
  let left = verifies;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (left-- > 0) await verify(stored, ADMIN_PASSWORD);
  }));
  const argon2 = (cpuMs() - c0) / verifies;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const input = Buffer.from('eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.' + 'x'.repeat(300));
  for (let i = 0; i < 50; i++) sign('sha256', input, key);
  const signs = 2000;
  c0 = cpuMs();
  for (let i = 0; i < signs; i++) sign('sha256', input, key);
  const rs256 = (cpuMs() - c0) / signs;
  return { 'CPU-ms per raw argon2id verify (m=19456,t=2,p=1, 4 in flight)': +argon2.toFixed(3), 'CPU-ms per raw RS256 sign': +rs256.toFixed(3) };
}

async function main() {
  const args = process.argv.slice(2);
  const prof = args.includes('--prof');
  const [what, count] = args.filter((a) => !a.startsWith('--'));
  const load = (() => {
    const l = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    return `loadavg ${l}`;
  })();
  let out;
  if (what === 'ceilings') out = await ceilings();
  else if (what === 'password' || what === 'refresh') out = await measureGrant(what, Number(count) || (what === 'password' ? 400 : 4000), prof);
  else throw new Error('usage: node bench/cpu.js password|refresh|ceilings [requests] [--prof]');
  console.log(JSON.stringify({ ...out, before: load, after: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
