'use strict';
// Where a GET /verify (or POST /introspect) spends its CPU: CPU-ms per request by thread, and
// with --prof the service's V8 CPU profile of the measured requests only, top functions first.
//   node bench/verify-cpu.js [jwt|one|uncached|api-key|introspect] [requests] [--prof]
//   jwt (default): 200 users' JWTs rotated; one: one JWT; uncached: a JWT not in the verifier's
//   map each request; api-key: X-API-Key; introspect: a confidential client, 16 connections.
// CONNECTIONS (default 32; introspect 16). The embedded database, or DATABASE_URL. The profile
// (node --cpu-prof) is written to bench/results/prof/; its summary to stdout. Build first.
const { readFileSync, readdirSync, mkdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { startService, statFields } = require('./lib');
const { FORM, NGINX_MODELS, NGINX_OCR, SERVICE_ENV, verifiedCacheSize, credentials } = require('./verify-setup');

const TICK_MS = 1000 / 100; // CLK_TCK is 100 on Linux

function ticks(path, which = 'both') {
  try {
    const rest = statFields(readFileSync(path, 'utf8'));
    const [user, system] = [Number(rest[11]), Number(rest[12])];
    return which === 'system' ? system : user + system;
  } catch {
    return 0;
  }
}

function snapshot(pid) {
  const tids = readdirSync(`/proc/${pid}/task`).map(Number);
  const cpu = process.cpuUsage();
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = fields.map(Number);
  return {
    main: ticks(`/proc/${pid}/task/${pid}/stat`),
    mainSystem: ticks(`/proc/${pid}/task/${pid}/stat`, 'system'),
    others: tids.filter((t) => t !== pid).reduce((a, t) => a + ticks(`/proc/${pid}/task/${t}/stat`), 0),
    self: (cpu.user + cpu.system) / 1000,
    busy: (n[0] + n[1] + n[2] + n[5] + n[6]) * TICK_MS,
    steal: n[7] * TICK_MS,
    at: process.hrtime.bigint(),
  };
}

async function run(opts, expect) {
  const result = await autocannon({ pipelining: 1, ...opts });
  const bad = result.requests.total - (result.statusCodeStats?.[expect]?.count ?? 0) + result.errors + result.timeouts;
  if (bad) throw new Error(`${bad} failed requests: ${JSON.stringify(result.statusCodeStats)}`);
  return result;
}

/** Self and total time per function, and self time per area, of the samples in [from, to] (µs). */
function summarize(file, from, to) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const short = (url) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
  const label = (n) => {
    const f = n.callFrame;
    return f.url ? `${f.functionName || '(anonymous)'} ${short(f.url)}:${f.lineNumber + 1}` : f.functionName;
  };
  const area = (n) => {
    const url = n.callFrame.url;
    if (!url) return n.callFrame.functionName; // (garbage collector), (program), (idle)
    if (url.includes('/node_modules/')) return url.replace(/^.*\/node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1');
    // Tessera's own code by file (dist/src/..., dist/packages/...).
    if (url.includes('/dist/')) return `tessera ${short(url)}`;
    return url.startsWith('node:') ? 'node: internals' : url;
  };
  const self = new Map();
  const total = new Map();
  const areas = new Map();
  let t = profile.startTime;
  let counted = 0;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    const node = byId.get(profile.samples[i]);
    counted++;
    if (node.callFrame.functionName === '(idle)') continue;
    busy++;
    const l = label(node);
    self.set(l, (self.get(l) ?? 0) + 1);
    areas.set(area(node), (areas.get(area(node)) ?? 0) + 1);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const name = label(byId.get(id));
      if (name === '(root)' || seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + 1);
    }
  }
  const pct = (v) => `${((100 * v) / busy).toFixed(1)}%`;
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, v]) => ({ [name]: pct(v) }));
  const tessera = [...areas].filter(([k]) => k.startsWith('tessera ')).reduce((a, [, v]) => a + v, 0);
  return {
    samples: counted,
    'busy share of the window': `${((100 * busy) / counted).toFixed(1)}%`,
    "Tessera's own code, self time (all files)": pct(tessera),
    'self time by area: package, Tessera file, or V8 (% of busy samples)': Object.assign({}, ...top(areas, 30)),
    'top functions, self time': Object.assign({}, ...top(self, 30)),
    'top functions, total time (self and callees)': Object.assign({}, ...top(total, 40)),
  };
}

async function main() {
  const args = process.argv.slice(2);
  const prof = args.includes('--prof');
  const [mode = 'jwt', count] = args.filter((a) => !a.startsWith('--'));
  const n = Number(count) || 40_000;
  const profDir = join(__dirname, 'results', 'prof');
  if (prof) mkdirSync(profDir, { recursive: true });
  const service = await startService({ port: 3961, env: SERVICE_ENV, nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
  let window;
  let out;
  try {
    const poolSize = mode === 'uncached' ? Math.ceil(verifiedCacheSize() * 1.2) : 0;
    const creds = await credentials(service.base, { poolSize });
    const connections = Number(process.env.CONNECTIONS) || (mode === 'introspect' ? 16 : 32);
    const url = `${service.base}/verify`;
    const bearer = (t) => ({ headers: { authorization: `Bearer ${t}` } });
    let next = 0;
    const loads = {
      jwt: { url, headers: NGINX_MODELS, requests: creds.userTokens.map(bearer) },
      one: { url, headers: { ...NGINX_MODELS, authorization: `Bearer ${creds.userTokens[0]}` } },
      uncached: { url, headers: NGINX_MODELS, requests: [{ setupRequest: (r) => ({ ...r, headers: { ...r.headers, authorization: `Bearer ${creds.pool[next++ % creds.pool.length]}` } }) }] },
      'api-key': { url, headers: NGINX_OCR, requests: creds.apiKeys.map((k) => ({ headers: { 'x-api-key': k } })) },
      introspect: {
        url: `${service.base}/introspect`,
        method: 'POST',
        headers: { ...FORM, authorization: creds.clientAuth },
        requests: creds.userTokens.map((t) => ({ body: `token=${t}` })),
      },
    };
    if (!loads[mode]) throw new Error(`usage: node bench/verify-cpu.js ${Object.keys(loads).join('|')} [requests] [--prof]`);
    const expect = mode === 'introspect' ? 200 : 204;
    // Warm-up: V8's optimiser and every cache in its steady state.
    await run({ ...loads[mode], connections, amount: Math.max(2000, Math.round(n / 4)) }, expect);
    const before = snapshot(service.pid);
    const result = await run({ ...loads[mode], connections, amount: n }, expect);
    const after = snapshot(service.pid);
    window = [Number(before.at / 1000n), Number(after.at / 1000n)];
    const per = (ms) => +(ms / n).toFixed(4);
    const seconds = Number(after.at - before.at) / 1e9;
    const main = (after.main - before.main) * TICK_MS;
    const threads = (after.others - before.others) * TICK_MS;
    const self = after.self - before.self;
    out = {
      mode,
      connections,
      requests: n,
      'req/s': Math.round(n / seconds),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      'CPU-ms per request': {
        'service main thread': per(main),
        '  of which in the kernel (socket reads and writes)': per((after.mainSystem - before.mainSystem) * TICK_MS),
        'service other threads (GC, JIT, embedded database)': per(threads),
        'autocannon (this process)': per(self),
        'everything else on the machine': per(after.busy - before.busy - main - threads - self),
      },
      'service main thread busy': `${((100 * main) / 1000 / seconds).toFixed(0)}%`,
      'steal ms per request': per(after.steal - before.steal),
    };
  } finally {
    await service.stop();
  }
  if (prof) {
    const newest = readdirSync(profDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profDir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    out.profile = { file: newest, ...summarize(newest, ...window) };
  }
  console.log(JSON.stringify(out, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
