'use strict';
// npm run bench -- --soak <seconds> (issue #12): mixed traffic for that long on the service as
// the token-endpoint benchmark starts it (fresh PostgreSQL database, credentials through the
// admin API): password logins, refresh chains, client_credentials by an API key, the JWKS and
// GET /verify with the users' current JWTs, all at once at bounded concurrency. Reports each
// kind's requests and errors (any answer but the expected one, any socket error or timeout:
// must be 0) and the service's RSS (VmRSS, the median of a window of samples) after warm-up,
// at the middle and at the end (the end must be within 10% of the start). Returns false, so
// run.js exits 1, if either fails.
const { readFileSync } = require('node:fs');
const autocannon = require('autocannon');
const { report } = require('./lib');
const { FORM, NGINX_MODELS } = require('./verify-setup');
const { withService, credentials, logins, loginLoad, refreshLoad } = require('./token-setup');

const PORT = 3931;
// Connections per kind: a login costs an argon2id hash (both cores), so few of those.
const CONNECTIONS = { login: 2, refresh: 8, 'client_credentials (API key)': 8, jwks: 8, verify: 8 };
const SAMPLE_SECONDS = 5;
// Recent access tokens /verify presents, as inference servers see the tokens clients hold now.
const POOL = 64;

/** VmRSS of a process, in MiB. */
function rssMiB(pid) {
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return +(kib / 1024).toFixed(1);
}

/** One kind's tally from autocannon's result: every answer but `expect` counts as an error. */
function tally(name, result, expect) {
  const ok = result.statusCodeStats?.[expect]?.count ?? 0;
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  return {
    name,
    connections: CONNECTIONS[name],
    requests: result.requests.total,
    requestsPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.requests.total - ok + result.errors + result.timeouts,
    statuses: JSON.stringify(statuses),
  };
}

/**
 * RSS after warm-up (the first tenth, 10 to 60 s), at the middle and at the end: each the median
 * of a window of samples, because one sample lands anywhere on the GC's sawtooth (tens of MiB).
 */
function rssSummary(samples, seconds) {
  const warmup = Math.min(60, Math.max(10, seconds / 10));
  const width = Math.max(3 * SAMPLE_SECONDS, seconds / 10);
  const window = (from, to) => {
    const xs = samples.filter((x) => x.s >= from && x.s <= to).map((x) => x.rssMiB).sort((a, b) => a - b);
    if (xs.length < 2) throw new Error(`--soak ${seconds}: too short for RSS windows of ${width} s after a ${warmup} s warm-up`);
    return { rssMiB: xs[Math.floor(xs.length / 2)], from: Math.round(from), to: Math.round(to), min: xs[0], max: xs[xs.length - 1] };
  };
  const last = samples.length ? samples[samples.length - 1].s : 0;
  const start = window(warmup, warmup + width);
  const middle = window(seconds / 2 - width / 2, seconds / 2 + width / 2);
  const end = window(last - width, last);
  return { start, middle, end, growth: (end.rssMiB - start.rssMiB) / start.rssMiB };
}

async function soak({ seconds }) {
  return withService(PORT, async (service) => {
    const creds = await credentials(service.base, { users: 16 });
    const base = service.base;
    // The newest access tokens the logins and refreshes handed out, a ring /verify goes round.
    const first = await logins(base, creds, CONNECTIONS.refresh);
    const pool = first.map((a) => a.access_token);
    let written = 0;
    const remember = (answer) => {
      pool[written++ % POOL] = answer.access_token;
    };
    let presented = 0;
    const common = { duration: seconds, timeout: 10 };
    const runs = {
      login: [autocannon({ ...common, ...loginLoad(base, creds, remember), connections: CONNECTIONS.login }), 200],
      refresh: [autocannon({ ...common, ...refreshLoad(base, creds, first.map((a) => a.refresh_token), remember), connections: CONNECTIONS.refresh }), 200],
      'client_credentials (API key)': [
        autocannon({
          ...common,
          url: `${base}/token`,
          method: 'POST',
          headers: { ...FORM, authorization: creds.apiKeyAuth },
          body: 'grant_type=client_credentials&scope=models%3Alist',
          connections: CONNECTIONS['client_credentials (API key)'],
        }),
        200,
      ],
      jwks: [autocannon({ ...common, url: `${base}/.well-known/jwks.json`, connections: CONNECTIONS.jwks }), 200],
      verify: [
        autocannon({
          ...common,
          url: `${base}/verify`,
          headers: NGINX_MODELS,
          requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${pool[presented++ % pool.length]}` } }) }],
          connections: CONNECTIONS.verify,
        }),
        204,
      ],
    };
    // RSS every few seconds while the load runs (rssSummary() picks the windows).
    const t0 = Date.now();
    const samples = [];
    const sampler = setInterval(() => samples.push({ s: Math.round((Date.now() - t0) / 1000), rssMiB: rssMiB(service.pid) }), SAMPLE_SECONDS * 1000);
    let results;
    try {
      results = await Promise.all(Object.values(runs).map(([run]) => run));
    } finally {
      clearInterval(sampler);
    }
    const rows = Object.keys(runs).map((name, i) => tally(name, results[i], runs[name][1]));
    const { start, middle, end, growth } = rssSummary(samples, seconds);
    const errors = rows.reduce((n, r) => n + r.errors, 0);
    const ok = errors === 0 && growth <= 0.1;
    report('soak', rows, {
      'RSS at start (after warm-up), middle, end': [start, middle, end].map((w) => `${w.rssMiB} MiB (${w.from}-${w.to} s, ${w.min}-${w.max})`).join(', '),
      'RSS figures': `the median of the samples in each window (a tenth of the run, at least ${3 * SAMPLE_SECONDS} s), then their range: one sample swings with the GC`,
      'RSS growth, end against start': `${(100 * growth).toFixed(1)}% (limit 10%): ${growth <= 0.1 ? 'flat' : 'GREW'}`,
      errors: `${errors} (must be 0)`,
      result: ok ? 'passed' : 'FAILED',
      'RSS samples': JSON.stringify(samples.map((x) => [x.s, x.rssMiB])),
      service: 'node dist/src/main.js, unpinned, fresh database on the local PostgreSQL server, throttler limits out of reach (one IP)',
      '/verify': `GET as nginx auth_request for GET /v1/models, with the ${POOL} newest access tokens of the logins and refreshes`,
      seconds,
    });
    return ok;
  });
}

module.exports = soak;
module.exports.rssSummary = rssSummary;

