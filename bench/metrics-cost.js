'use strict';
// What /metrics costs the hot paths (issue: it must not slow them measurably): two services on
// the embedded database, one with METRICS_ENABLED=true (the default) and one with false, driven
// in the same interleaved rounds on the JWKS, GET /verify with 200 users' JWTs, and POST /token
// client_credentials with an API key by HTTP Basic. Reports each route's rate with metrics as a
// share of its rate without, beside the spread of the rounds of the same service (the noise).
const { startService, compare, report } = require('./lib');
const { FORM, NGINX_MODELS, SERVICE_ENV, credentials } = require('./verify-setup');

const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

module.exports = async function metricsCost({ rounds = 7, duration = 4, connections = 32 } = {}) {
  const services = [];
  try {
    // One after the other: two first starts at once would share the machine's cores.
    for (const [port, enabled] of [[3971, 'true'], [3972, 'false']]) {
      const service = await startService({ port, env: { ...SERVICE_ENV, METRICS_ENABLED: enabled } });
      services.push({ ...service, enabled, creds: await credentials(service.base) });
    }
    const targets = [];
    for (const { base, pid, enabled, creds } of services) {
      const label = enabled === 'true' ? 'metrics on' : 'metrics off';
      const [key] = creds.apiKeys;
      const [keyId] = creds.apiKeyIds;
      targets.push(
        { name: `JWKS, ${label}`, pid, url: `${base}/.well-known/jwks.json` },
        { name: `GET /verify, 200 users' JWTs, ${label}`, pid, url: `${base}/verify`, headers: NGINX_MODELS, requests: creds.userTokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } })), expect: 204 },
        // An API key authenticates at /token as a client: its id and its secret (contract 2.1).
        { name: `POST /token client_credentials, API key by Basic, ${label}`, pid, url: `${base}/token`, method: 'POST', headers: { ...FORM, authorization: basic(keyId, key) }, body: 'grant_type=client_credentials' },
      );
    }
    const rows = await compare(targets, { rounds, duration, connections });
    const share = (i) => +(rows[i].requestsPerSec / rows[i + 3].requestsPerSec).toFixed(2);
    const pct = (a, b) => `${a >= b ? '+' : ''}${Math.round((100 * (a - b)) / b)}%`;
    const cpu = (i) =>
      `median ${rows[i].cpuMsPerReq} / ${rows[i + 3].cpuMsPerReq} ms (${pct(rows[i].cpuMsPerReq, rows[i + 3].cpuMsPerReq)}), ` +
      `lowest ${rows[i].cpuMsPerReqMin} / ${rows[i + 3].cpuMsPerReqMin} ms (${pct(rows[i].cpuMsPerReqMin, rows[i + 3].cpuMsPerReqMin)})`;
    return report('metrics-cost', rows, {
      'JWKS rate, on / off': share(0),
      '/verify rate, on / off': share(1),
      'client_credentials rate, on / off': share(2),
      'JWKS service CPU per request, on / off': cpu(0),
      '/verify service CPU per request, on / off': cpu(1),
      'client_credentials service CPU per request, on / off': cpu(2),
      note: 'each row is its median round ("rounds" shows the spread between rounds); cpuMsPerReq is the service process\'s CPU (all threads) per request, median of the rounds',
      database: 'embedded (PGlite), one per service',
      connections,
      'seconds per round': duration,
      rounds,
    });
  } finally {
    for (const s of services) await s.stop();
  }
};
