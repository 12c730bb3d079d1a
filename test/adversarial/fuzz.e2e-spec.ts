import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { bearer, platformToken } from '../support/admin';
import { createTenant, type TenantFixture } from '../support/fixtures';
import { createTestApp, type TestApp } from '../support/test-app';
import { adminRequest, oauthRequest, verifyRequest, type FuzzRequest, type FuzzTargets } from './support/fuzz-requests';

/** Runs per property; FUZZ_RUNS scales them all (the five properties make at least 2,000 requests). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);
/** FUZZ_SEED replays a failure the report printed. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const MAX_MS = 2000;
const ADMIN_BEARER = 'Bearer <the platform admin’s token>';

const OAUTH_ERRORS = ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'slow_down'];
const BEARER_ERRORS = ['invalid_token', 'invalid_request', 'insufficient_scope', 'access_denied'];

type Family = 'oauth' | 'verify' | 'admin';

/** What is wrong with an answer to a request that can never be right; empty when nothing is. */
function faultsOf(family: Family, res: { statusCode: number; headers: Record<string, unknown>; body: string }, ms: number): string[] {
  const faults: string[] = [];
  if (res.statusCode < 400 || res.statusCode > 499) faults.push(`status ${res.statusCode}, not a 4xx`);
  if (ms > MAX_MS) faults.push(`answered after ${Math.round(ms)} ms`);
  const type = String(res.headers['content-type'] ?? '');
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(res.body);
  } catch {
    faults.push('body is not JSON');
  }
  const problem = () => {
    if (!type.startsWith('application/problem+json')) faults.push(`content-type ${type}, not problem+json`);
    if (body.status !== res.statusCode || typeof body.type !== 'string' || typeof body.title !== 'string') faults.push('not an RFC 9457 problem');
  };
  const oauth = (codes: string[]) => {
    if (!type.startsWith('application/json')) faults.push(`content-type ${type}, not JSON`);
    const keys = Object.keys(body).sort().join(',');
    if (keys !== 'error,error_description' || !codes.includes(body.error as string)) faults.push(`not an error body of RFC 6749/6750: ${keys} ${String(body.error)}`);
  };
  if (family === 'oauth') {
    oauth(OAUTH_ERRORS);
    if (res.headers['cache-control'] !== 'no-store') faults.push('no Cache-Control: no-store');
  } else if (family === 'verify') {
    // A refusal of the credential or route is RFC 6750's; an unknown path or method, a problem.
    if (type.startsWith('application/problem+json')) problem();
    else oauth(BEARER_ERRORS);
    if (res.statusCode === 401 && !String(res.headers['www-authenticate'] ?? '').startsWith('Bearer realm="tessera"')) faults.push('401 without the Bearer challenge');
  } else {
    problem();
  }
  // Contract 2.1: no stack trace or database error in any answer (the request's own text may be echoed as a field name).
  if (/\bat .+:\d+:\d+\)|QueryFailedError|syntax error at or near|violates .* constraint|relation "|node_modules/i.test(res.body)) faults.push('stack or database error in the body');
  return faults;
}

/**
 * Property-based fuzzing with fast-check: every generated request is invalid by construction
 * (no working credential, a fault in every admin body), so every answer must be a 4xx with the
 * contract's error shape, within 2 s; afterwards the service is still healthy. A failure shows
 * fast-check's seed and path and the shrunk request (FUZZ_SEED=<seed> replays it).
 */
describe('fuzzed requests at /token, /revoke, /introspect, /verify and the admin bodies', () => {
  let sut: TestApp;
  let t: TenantFixture;
  let targets: FuzzTargets;
  let sent = 0;

  beforeAll(async () => {
    // The cheapest argon2 the config allows: the fuzz is about answers, not hashing cost (the
    // timing of the real parameters is enumeration.adv-spec.ts's subject).
    sut = await createTestApp({
      THROTTLE_PER_SUBJECT: '1000000/60s',
      THROTTLE_PER_IP: '1000000/60s',
      LOCKOUT_AFTER: '1000000/15m',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_ITERATIONS: '1',
    });
    t = await createTenant(sut);
    const platform = await platformToken(sut);
    const http = () => sut.http();
    const client = await http().post(`/admin/tenants/${t.tenantId}/clients`).set(bearer(platform)).send({ name: 'fuzz', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['models:list'] }).expect(201);
    targets = {
      publicClientId: t.publicClientId,
      confidentialClientId: t.confidential.clientId,
      apiKeyId: t.apiKey.id,
      tenantId: t.tenantId,
      userId: t.user.id,
      clientId: client.body.clientId,
      keyId: t.apiKey.id,
      adminToken: platform,
      adminBearer: ADMIN_BEARER,
    };
  });

  afterAll(async () => {
    await sut.close();
  });

  async function send(family: Family, req: FuzzRequest): Promise<void> {
    const fastify = sut.app.getHttpAdapter().getInstance();
    const started = performance.now();
    // The admin token goes in here, so that a printed counterexample does not carry it.
    const headers = { ...req.headers, ...(req.headers.authorization === ADMIN_BEARER ? bearer(targets.adminToken) : {}) };
    const res = await fastify.inject({ method: req.method as 'GET', url: req.url, headers, payload: req.payload });
    const ms = performance.now() - started;
    sent++;
    const faults = faultsOf(family, res, ms);
    if (faults.length) throw new Error(`${faults.join('; ')}\nanswer: ${res.statusCode} ${res.body.slice(0, 300)}`);
  }

  const check = async (family: Family, arbitrary: fc.Arbitrary<FuzzRequest>, numRuns: number) => {
    await fc.assert(
      fc.asyncProperty(arbitrary, (req) => send(family, req)),
      { numRuns: numRuns * RUNS, seed: SEED, endOnFailure: false },
    );
  };

  it('POST /token: 700 requests', async () => {
    await check('oauth', oauthRequest('/token', targets), 700);
  });

  it('POST /revoke: 300 requests', async () => {
    await check('oauth', oauthRequest('/revoke', targets), 300);
  });

  it('POST /introspect: 300 requests', async () => {
    await check('oauth', oauthRequest('/introspect', targets), 300);
  });

  it('GET /verify: 300 requests', async () => {
    await check('verify', verifyRequest(), 300);
  });

  it('every admin create and update body, and /me/password: 500 requests', async () => {
    await check('admin', adminRequest(targets), 500);
  });

  it('left the service healthy: ready, and the fixture’s user still logs in', async () => {
    expect(sent).toBeGreaterThanOrEqual(2000);
    await sut.http().get('/health/ready').expect(200);
    await sut
      .http()
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password })
      .expect(200);
    await sut.http().get(`/admin/tenants/${t.tenantId}`).set(bearer(targets.adminToken)).expect(200);
  });
});
