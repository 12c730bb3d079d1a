// examples/fastapi/tessera_verifier.py (contract 2.7, the Python verifier middleware) against a
// live Tessera: revocations, disabled users, suspended tenants, logout-all and revoked signing
// keys are refused within one poll of GET /revocations; key rotations are picked up; model:
// scopes are enforced on the JSON body and the path; the route policy port answers the shared
// vectors (examples/fastapi/route_policy_vectors.json) exactly as Tessera's own matcher does.
// Needs /usr/bin/python3 with Debian's python3-fastapi, python3-uvicorn, python3-jwt.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { INFERENCE_SCOPES } from '../../src/auth/scopes';
import { TenantsService } from '../../src/tenants/tenants.service';
import { bearer, createTenantViaApi, createUserViaApi, login, platformToken } from '../support/admin';
import { createTenant, type TenantFixture } from '../support/fixtures';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { freePort, startApp, testConfig, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const REPO = join(__dirname, '../..');
const PYTHON = '/usr/bin/python3';
const EXAMPLE_DIR = join(REPO, 'examples/fastapi');
const AUDIENCE = 'https://inference.example';
const POLL_SECONDS = 0.5;
/** A change must be refused within one poll interval plus this (a poll's own round trip, the test's polling, a busy 2-core machine). */
const MARGIN_MS = 1000;

// Tessera's matcher: where /verify has it (src/verify), or the shared verifier package if it has moved there.
interface Matcher {
  match(method: string, path: string): { rule: { scopes: readonly string[] }; params: Readonly<Record<string, string>>; model: string | null } | null;
}
interface RoutePolicyModule {
  RouteMatcher: new (policy: unknown) => Matcher;
  validatePolicy(doc: unknown): unknown;
  normalizePath(path: string): string[] | null;
  BUILT_IN_RULES: readonly unknown[];
}
const routePolicyModule = (): RoutePolicyModule => {
  const path = ['src/verify/route-policy.ts', 'packages/verifier/src/route-policy.ts'].find((p) => existsSync(join(REPO, p)));
  if (!path) throw new Error('no route-policy.ts in src/verify or packages/verifier/src');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(REPO, path.replace(/\.ts$/, ''))) as RoutePolicyModule;
};

interface Vectors {
  policies: Record<string, unknown>;
  matches: { policy: string; method: string; path: string; scopes: string[] | null; model: string | null; params?: Record<string, string> }[];
  normalize: { path: string; segments: string[] | null }[];
  invalid_policies: { doc: unknown; error: string }[];
}
const vectors: Vectors = JSON.parse(readFileSync(join(EXAMPLE_DIR, 'route_policy_vectors.json'), 'utf8'));

describe("the shared route-policy vectors in Tessera's RouteMatcher", () => {
  const rp = routePolicyModule();
  const matchers = Object.fromEntries(
    Object.entries(vectors.policies).map(([name, doc]) => [name, new rp.RouteMatcher(doc === null ? { rules: rp.BUILT_IN_RULES, audience: null } : rp.validatePolicy(doc))]),
  );

  it('matches', () => {
    expect(vectors.matches.length).toBeGreaterThan(50);
    const wrong = vectors.matches.flatMap((v) => {
      const m = matchers[v.policy].match(v.method, v.path);
      const got = { scopes: m ? [...m.rule.scopes] : null, model: m ? m.model : null, ...(v.params ? { params: m ? { ...m.params } : null } : {}) };
      const want = { scopes: v.scopes, model: v.model, ...(v.params ? { params: v.params } : {}) };
      return JSON.stringify(got) === JSON.stringify(want) ? [] : [{ vector: v, got }];
    });
    expect(wrong).toEqual([]);
  });

  it('normalises paths', () => {
    const wrong = vectors.normalize.filter((v) => JSON.stringify(rp.normalizePath(v.path)) !== JSON.stringify(v.segments));
    expect(wrong).toEqual([]);
  });

  it('refuses the invalid policies with the same messages', () => {
    const wrong = vectors.invalid_policies.flatMap((v) => {
      try {
        rp.validatePolicy(v.doc);
        return [{ ...v, got: 'accepted' }];
      } catch (err) {
        return (err as Error).message === v.error ? [] : [{ ...v, got: (err as Error).message }];
      }
    });
    expect(wrong).toEqual([]);
  });
});

const hasPythonDeps = spawnSync(PYTHON, ['-c', 'import fastapi, jwt, uvicorn'], { stdio: 'ignore' }).status === 0;
const suite = hasPythonDeps ? describe : describe.skip;
if (!hasPythonDeps) {
  console.warn(`SKIPPED fastapi-middleware: ${PYTHON} lacks fastapi, uvicorn or jwt (apt-get install python3-fastapi python3-uvicorn python3-jwt)`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a Python command in examples/fastapi: exit code and output. */
function runPython(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(PYTHON, args, { cwd: EXAMPLE_DIR, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

interface Status {
  jwks_age_s: number | null;
  feed_age_s: number | null;
  last_error: string | null;
}

suite('examples/fastapi tessera_verifier against a live Tessera (contract 2.7)', () => {
  let db: TestDatabase;
  let tessera: TestApp;
  let proxy: TcpProxy;
  let example: ChildProcess | undefined;
  let output = '';
  let api: string;
  let platform: string;
  let t: TenantFixture;

  const status = async (): Promise<Status> => (await fetch(`${api}/tessera/status`)).json() as Promise<Status>;
  const call = (method: 'GET' | 'POST', path: string, token?: string, body?: unknown) =>
    fetch(`${api}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const models = async (token: string) => (await call('GET', '/v1/models', token)).status;
  const chat = (token: string, body: unknown) => call('POST', '/v1/chat/completions', token, body);
  const loginUser = (f: { clientId: string; username: string; password: string }) => login(tessera, f.clientId, f.username, f.password);
  const fixtureUser = (f: TenantFixture) => ({ clientId: f.publicClientId, username: f.user.username, password: f.user.password });

  /** Waits until the wall clock is past the next whole second (Tessera's not-before instants are whole seconds). */
  const nextSecond = () => sleep(1000 - (Date.now() % 1000) + 20);

  /**
   * The token is accepted, `change` happens, and from then on the token is refused (401
   * invalid_token) within one poll interval plus the margin, while it is still unexpired.
   */
  async function refusedWithinOnePoll(token: string, change: () => Promise<unknown>): Promise<number> {
    expect(decodeJwt(token).exp! * 1000).toBeGreaterThan(Date.now() + 60_000);
    await nextSecond();
    expect(await models(token)).toBe(200);
    await change();
    const changed = Date.now();
    let res: Response;
    for (;;) {
      res = await call('GET', '/v1/models', token);
      if (res.status !== 200 || Date.now() - changed > 10_000) break;
      await sleep(20);
    }
    const elapsed = Date.now() - changed;
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect(elapsed).toBeLessThanOrEqual(POLL_SECONDS * 1000 + MARGIN_MS);
    return elapsed;
  }

  const kids = async (): Promise<{ kid: string; state: string }[]> => {
    const res = await tessera.http().get('/admin/keys').set(bearer(platform)).expect(200);
    return (res.body.items ?? res.body) as { kid: string; state: string }[];
  };

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    db = await createTestDatabase();
    tessera = await startApp(testConfig(db, { ISSUER: base, DEFAULT_AUDIENCE: AUDIENCE, THROTTLE_PER_SUBJECT: '1000/60s', THROTTLE_PER_IP: '100000/60s' }));
    await tessera.app.listen({ port, host: '127.0.0.1' });
    // The verifier reaches Tessera through a proxy the test can cut; tokens still name the real issuer.
    proxy = await startTcpProxy({ host: '127.0.0.1', port });
    platform = await platformToken(tessera);
    t = await createTenant(tessera);
    const system = await tessera.app.get(TenantsService).findBySlug('system');
    const { apiKey, key } = await tessera.app.get(ApiKeysService).create({ tenantId: system!.id, name: 'fastapi verifier', scopes: ['revocations:read'] });

    const examplePort = await freePort();
    api = `http://127.0.0.1:${examplePort}`;
    example = spawn(PYTHON, ['-m', 'uvicorn', 'app:app', '--host', '127.0.0.1', '--port', String(examplePort)], {
      cwd: EXAMPLE_DIR,
      env: {
        ...process.env,
        TESSERA_ISSUER: base,
        TESSERA_AUDIENCE: AUDIENCE,
        TESSERA_URL: `http://127.0.0.1:${proxy.port}`,
        TESSERA_FEED_KEY_ID: apiKey.id,
        TESSERA_FEED_KEY: key,
        TESSERA_POLL_INTERVAL: String(POLL_SECONDS),
        TESSERA_TIMEOUT: '2',
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    example.stdout!.on('data', (d) => (output += d));
    example.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (example.exitCode !== null) throw new Error(`the example exited (${example.exitCode}):\n${output}`);
      try {
        const s = await status();
        if (s.feed_age_s !== null && s.jwks_age_s !== null) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the example was not ready within 30 s:\n${output}`);
      await sleep(100);
    }
  });

  afterAll(async () => {
    if (example && example.exitCode === null && example.signalCode === null) {
      const exited = new Promise((r) => example!.once('exit', r));
      example.kill('SIGTERM');
      const timer = setTimeout(() => example!.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await proxy?.close();
    await tessera?.close();
    await db?.drop();
  });

  it('passes the shared route-policy vectors in the Python port, and its own unit tests', async () => {
    const { code, output: out } = await runPython(['-m', 'unittest', '-v', 'test_tessera_verifier']);
    expect({ code, out }).toEqual({ code: 0, out: expect.stringMatching(/test_matches .*\.\.\. ok[\s\S]*test_normalize .*\.\.\. ok[\s\S]*\nOK\s*$/) });
  });

  it('serves its status: ages of the JWKS and the feed, no error', async () => {
    const s = await status();
    expect(s).toEqual({ jwks_age_s: expect.any(Number), feed_age_s: expect.any(Number), last_error: null });
    expect(s.feed_age_s).toBeLessThan(POLL_SECONDS + 1);
  });

  it('refuses an access token revoked at POST /revoke within one poll', async () => {
    const token = await loginUser(fixtureUser(t));
    await refusedWithinOnePoll(token, () => tessera.http().post('/revoke').type('form').send({ token, client_id: t.publicClientId }).expect(200));
    expect(await models(await loginUser(fixtureUser(t)))).toBe(200); // only that token
  });

  it("refuses a disabled user's token within one poll", async () => {
    const u = await createUserViaApi(tessera, platform, t.tenantId, ['models:list']);
    const token = await loginUser({ clientId: t.publicClientId, ...u });
    await refusedWithinOnePoll(token, () => tessera.http().patch(`/admin/tenants/${t.tenantId}/users/${u.id}`).set(bearer(platform)).send({ disabled: true }).expect(200));
    expect(await models(await loginUser(fixtureUser(t)))).toBe(200); // other users of the tenant are not concerned
  });

  it("refuses a user's tokens after logout-all (DELETE .../sessions) within one poll", async () => {
    const u = await createUserViaApi(tessera, platform, t.tenantId, ['models:list']);
    const token = await loginUser({ clientId: t.publicClientId, ...u });
    await refusedWithinOnePoll(token, () => tessera.http().delete(`/admin/tenants/${t.tenantId}/users/${u.id}/sessions`).set(bearer(platform)).expect(200));
    await nextSecond();
    expect(await models(await loginUser({ clientId: t.publicClientId, ...u }))).toBe(200); // a new login works again
  });

  it("refuses a suspended tenant's tokens within one poll, and only that tenant's", async () => {
    const other = await createTenant(tessera);
    const token = await loginUser(fixtureUser(other));
    const apiKeyToken = (
      await tessera.http().post('/token').type('form').send({ grant_type: 'client_credentials', client_id: other.apiKey.id, client_secret: other.apiKey.key }).expect(200)
    ).body.access_token as string;
    expect(await models(apiKeyToken)).toBe(200);
    await refusedWithinOnePoll(token, () => tessera.http().patch(`/admin/tenants/${other.tenantId}`).set(bearer(platform)).send({ status: 'suspended' }).expect(200));
    expect(await models(apiKeyToken)).toBe(401); // the whole tenant: sub null
    expect(await models(await loginUser(fixtureUser(t)))).toBe(200);
  });

  it('picks up key rotations after the JWKS was cached: the published next key at once, an unseen one by one refetch', async () => {
    const before = await status();
    const keysBefore = await kids();
    const next = keysBefore.find((k) => k.state === 'next')!.kid;
    await tessera.http().post('/admin/keys/rotate').set(bearer(platform)).expect(200);
    const afterOne = await loginUser(fixtureUser(t));
    expect(decodeProtectedHeader(afterOne).kid).toBe(next);
    expect(await models(afterOne)).toBe(200);
    // No refetch was needed: the cached set already held the key that signs now (contract 2.5).
    expect((await status()).jwks_age_s).toBeGreaterThanOrEqual(before.jwks_age_s!);

    await tessera.http().post('/admin/keys/rotate').set(bearer(platform)).expect(200);
    const afterTwo = await loginUser(fixtureUser(t));
    const unseen = decodeProtectedHeader(afterTwo).kid!;
    expect(keysBefore.map((k) => k.kid)).not.toContain(unseen);
    expect(await models(afterTwo)).toBe(200); // an unknown kid: one refetch
    const refetched = await status();
    expect(refetched.jwks_age_s).toBeLessThan(2);

    // Made-up kids within the cooldown (30 s) cost no refetch: the set keeps ageing.
    await sleep(1200);
    const [h, p, s] = afterTwo.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    for (const kid of ['made-up-1', 'made-up-2']) {
      const forged = [Buffer.from(JSON.stringify({ ...header, kid })).toString('base64url'), p, s].join('.');
      expect(await models(forged)).toBe(401);
    }
    expect((await status()).jwks_age_s).toBeGreaterThanOrEqual(1);
  });

  it('refuses tokens of a revoked signing key within one poll; tokens of the key that took over pass', async () => {
    const token = await loginUser(fixtureUser(t));
    const kid = decodeProtectedHeader(token).kid!;
    await refusedWithinOnePoll(token, () => tessera.http().post(`/admin/keys/${kid}/revoke`).set(bearer(platform)).expect(200));
    const fresh = await loginUser(fixtureUser(t));
    expect(decodeProtectedHeader(fresh).kid).not.toBe(kid);
    expect(await models(fresh)).toBe(200);
    platform = await platformToken(tessera);
  });

  it('enforces model: scopes on the JSON body and the path; a token without any model: scope is not restricted', async () => {
    const tenant = await createTenantViaApi(tessera, platform, { scopes: [...INFERENCE_SCOPES, 'model:stub-a', 'model:stub-b'] });
    const limited = await createUserViaApi(tessera, platform, tenant.id, ['chat:completions', 'models:read', 'model:stub-a']);
    const open = await createUserViaApi(tessera, platform, tenant.id, ['chat:completions', 'models:read']);
    const limitedToken = await loginUser({ clientId: tenant.defaultClient.clientId, ...limited });
    const openToken = await loginUser({ clientId: tenant.defaultClient.clientId, ...open });
    expect(decodeJwt(limitedToken).scope).toBe('chat:completions models:read model:stub-a');

    const ok = await chat(limitedToken, { model: 'stub-a', messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ model: 'stub-a' });
    const refused = await chat(limitedToken, { model: 'stub-b', messages: [] });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="model:stub-b"');
    expect(await refused.json()).toEqual({ error: 'insufficient_scope', error_description: expect.any(String) });
    expect((await chat(limitedToken, { messages: [] })).status).toBe(403); // no model named: cannot be checked
    expect((await call('GET', '/v1/models/stub-a', limitedToken)).status).toBe(200);
    const byPath = await call('GET', '/v1/models/stub-b', limitedToken);
    expect(byPath.status).toBe(403);
    expect(byPath.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="model:stub-b"');
    // Tessera's /verify gives the same answer for the path.
    const verify = await tessera.http().get('/verify').set({ ...bearer(limitedToken), 'x-original-method': 'GET', 'x-original-uri': '/v1/models/stub-b' });
    expect(verify.status).toBe(403);
    expect(verify.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_scope", scope="model:stub-b"');

    expect((await chat(openToken, { model: 'stub-b', messages: [] })).status).toBe(200);
    expect((await chat(openToken, { messages: [] })).status).toBe(200);
    expect((await call('GET', '/v1/models/stub-b', openToken)).status).toBe(200);
  });

  it('keeps verifying with the last JWKS and feed while Tessera is unreachable, and catches up when it is back', async () => {
    const token = await loginUser(fixtureUser(t));
    const revokedLater = await loginUser(fixtureUser(t));
    expect(await models(token)).toBe(200);
    proxy.cut();
    await sleep(POLL_SECONDS * 3000);
    expect(await models(token)).toBe(200);
    expect(await models(revokedLater)).toBe(200);
    const down = await status();
    expect(down.last_error).toEqual(expect.any(String));
    expect(down.feed_age_s).toBeGreaterThanOrEqual(POLL_SECONDS * 2);
    // A revocation the verifier cannot see yet...
    await tessera.http().post('/revoke').type('form').send({ token: revokedLater, client_id: t.publicClientId }).expect(200);
    expect(await models(revokedLater)).toBe(200);
    // ...is applied within one poll of Tessera being reachable again.
    proxy.restore();
    const restored = Date.now();
    while ((await models(revokedLater)) === 200 && Date.now() - restored < 10_000) await sleep(20);
    expect(Date.now() - restored).toBeLessThanOrEqual(POLL_SECONDS * 1000 + MARGIN_MS);
    expect(await models(revokedLater)).toBe(401);
    expect(await models(token)).toBe(200);
    const up = await status();
    expect(up.last_error).toBeNull();
    expect(up.feed_age_s).toBeLessThan(POLL_SECONDS + 1);
  });
});
