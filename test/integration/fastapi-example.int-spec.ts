// examples/fastapi/app.py (FastAPI + tessera_verifier.py, on PyJWT) against a live Tessera: it
// accepts Tessera's tokens for the routes their scopes name and refuses everything else with
// RFC 6750 answers. Revocations, rotations and model: scopes: fastapi-middleware.int-spec.ts.
// Needs /usr/bin/python3 with Debian's python3-fastapi, python3-uvicorn, python3-jwt.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { decodeProtectedHeader, decodeJwt, SignJWT, type JWTPayload } from 'jose';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { ClientsService } from '../../src/clients/clients.service';
import { KeysService } from '../../src/keys/keys.service';
import { Signer } from '../../src/keys/signer';
import { TenantsService } from '../../src/tenants/tenants.service';
import { createTenant, type TenantFixture } from '../support/fixtures';
import { FakeClock } from '../support/fake-clock';
import { freePort, startApp, testConfig, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const PYTHON = '/usr/bin/python3';
const EXAMPLE_DIR = join(__dirname, '../../examples/fastapi');
const AUDIENCE = 'https://inference.example';
const OTHER_ISSUER = 'https://other-tessera.example';

const hasPythonDeps = spawnSync(PYTHON, ['-c', 'import fastapi, jwt, uvicorn'], { stdio: 'ignore' }).status === 0;
const suite = hasPythonDeps ? describe : describe.skip;
if (!hasPythonDeps) {
  console.warn(`SKIPPED fastapi-example: ${PYTHON} lacks fastapi, uvicorn or jwt (apt-get install python3-fastapi python3-uvicorn python3-jwt)`);
}

/** Starts the example and resolves once it answers HTTP; rejects with its output if it exits. */
async function startExample(port: number, env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  let output = '';
  const child = spawn(PYTHON, ['-m', 'uvicorn', 'app:app', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the example exited (${child.exitCode}):\n${output}`);
    try {
      await fetch(`http://127.0.0.1:${port}/v1/models`);
      return { child, output: () => output };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`the example did not answer within 30 s:\n${output}`);
}

async function stopExample(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The same JWT with one bit of its signature flipped (in the middle: the last character may only carry padding bits). */
function flipSignatureBit(jwt: string): string {
  const [h, p, s] = jwt.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[sig.length >> 1] ^= 0x01;
  return [h, p, sig.toString('base64url')].join('.');
}

/** The same JWT with its payload changed and the old signature kept. */
function withPayload(jwt: string, change: (claims: Record<string, unknown>) => void): string {
  const [h, p, s] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  change(claims);
  return [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
}

suite('examples/fastapi verifying Tessera tokens offline', () => {
  let db: TestDatabase;
  let tessera: TestApp;
  let otherIssuer: TestApp;
  let t: TenantFixture;
  let example: { child: ChildProcess; output: () => string } | undefined;
  let api: string;
  // Tessera's clock starts two hours back so that the first login below is long expired.
  const clock = new FakeClock(new Date(Date.now() - 7200_000));
  let userToken: string;
  let apiKeyToken: string;
  let expiredToken: string;

  const login = async (app: TestApp, clientId = t.publicClientId): Promise<string> => {
    const res = await app
      .http()
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', client_id: clientId, username: t.user.username, password: t.user.password })
      .expect(200);
    return res.body.access_token;
  };
  const call = (method: 'GET' | 'POST', path: string, token?: string, body?: unknown) =>
    fetch(`${api}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const chat = (token?: string) => call('POST', '/v1/chat/completions', token, { model: 'stub-model', messages: [{ role: 'user', content: 'hi' }] });

  async function expectInvalidToken(res: Response): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
  }

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    db = await createTestDatabase();
    tessera = await startApp(testConfig(db, { ISSUER: base, DEFAULT_AUDIENCE: AUDIENCE, THROTTLE_PER_SUBJECT: '1000/60s' }), { clock });
    await tessera.app.listen({ port, host: '127.0.0.1' });
    // A second instance on the same database: same signing keys, same tenants, another issuer.
    otherIssuer = await startApp(testConfig(db, { ISSUER: OTHER_ISSUER, DEFAULT_AUDIENCE: AUDIENCE }));
    t = await createTenant(tessera);

    expiredToken = await login(tessera);
    clock.advance(7200);
    userToken = await login(tessera);
    const cc = await tessera
      .http()
      .post('/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: t.apiKey.id, client_secret: t.apiKey.key })
      .expect(200);
    apiKeyToken = cc.body.access_token;

    const examplePort = await freePort();
    api = `http://127.0.0.1:${examplePort}`;
    // The revocation feed's credential: an API key of the system tenant holding revocations:read.
    const system = await tessera.app.get(TenantsService).findBySlug('system');
    const feed = await tessera.app.get(ApiKeysService).create({ tenantId: system!.id, name: 'fastapi example', scopes: ['revocations:read'] });
    example = await startExample(examplePort, {
      TESSERA_ISSUER: base,
      TESSERA_AUDIENCE: AUDIENCE,
      TESSERA_FEED_KEY_ID: feed.apiKey.id,
      TESSERA_FEED_KEY: feed.key,
    });
  });

  afterAll(async () => {
    await stopExample(example?.child);
    await otherIssuer?.close();
    await tessera?.close();
    await db?.drop();
  });

  it('accepts a password-grant token on the routes its scopes name', async () => {
    expect(decodeJwt(userToken).scope).toBe('models:list chat:completions');
    const models = await call('GET', '/v1/models', userToken);
    expect(models.status).toBe(200);
    expect(await models.json()).toMatchObject({ object: 'list', data: [{ id: 'stub-model', owned_by: t.slug }] });

    const completion = await chat(userToken);
    expect(completion.status).toBe(200);
    expect(await completion.json()).toMatchObject({ object: 'chat.completion', model: 'stub-model', choices: [{ message: { role: 'assistant' } }] });
  });

  it('refuses the same token on a route needing a scope it lacks: 403 insufficient_scope', async () => {
    const res = await call('POST', '/ocr/extract', userToken);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="ocr:infer"');
    expect(await res.json()).toEqual({ error: 'insufficient_scope', error_description: expect.stringContaining('ocr:infer') });
  });

  it('answers a request without a token 401 with a bare Bearer challenge', async () => {
    for (const res of [await chat(), await fetch(`${api}/v1/models`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } })]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: 'unauthorized', error_description: expect.any(String) });
    }
  });

  it('refuses a token of another issuer although its signature is valid', async () => {
    const foreign = await login(otherIssuer);
    // Only iss differs: the same published key signed it, for the same audience.
    const jwks = await tessera.http().get('/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(decodeProtectedHeader(foreign).kid);
    expect(decodeJwt(foreign)).toMatchObject({ iss: OTHER_ISSUER, aud: AUDIENCE, scope: 'models:list chat:completions' });
    await expectInvalidToken(await call('GET', '/v1/models', foreign));
  });

  it('refuses a token for another audience', async () => {
    const { client } = await tessera.app.get(ClientsService).create({
      tenantId: t.tenantId,
      name: 'elsewhere',
      type: 'public',
      grantTypes: ['password'],
      scopes: ['models:list'],
      audience: 'https://another-api.example',
    });
    const token = await login(tessera, client.clientId);
    expect(decodeJwt(token).aud).toBe('https://another-api.example');
    await expectInvalidToken(await call('GET', '/v1/models', token));
  });

  it('refuses an expired token', async () => {
    expect(decodeJwt(expiredToken).exp! * 1000).toBeLessThan(Date.now() - 3600_000);
    await expectInvalidToken(await call('GET', '/v1/models', expiredToken));
  });

  it('refuses a token whose signature or payload was tampered with', async () => {
    await expectInvalidToken(await call('GET', '/v1/models', flipSignatureBit(userToken)));
    const escalated = withPayload(userToken, (c) => (c.scope = 'models:list chat:completions ocr:infer'));
    await expectInvalidToken(await call('POST', '/ocr/extract', escalated));
  });

  it('refuses garbage, alg none and an unknown kid with 401, never a 5xx', async () => {
    const [, payload] = userToken.split('.');
    const header = (h: object) => Buffer.from(JSON.stringify(h)).toString('base64url');
    const unsigned = `${header({ alg: 'none', typ: 'at+jwt' })}.${payload}.`;
    const unknownKid = `${header({ alg: 'RS256', typ: 'at+jwt', kid: 'no-such-kid' })}.${payload}.${userToken.split('.')[2]}`;
    for (const token of ['not-a-jwt', unsigned, unknownKid]) {
      await expectInvalidToken(await call('GET', '/v1/models', token));
    }
  });

  it("checks typ and the time claims of tokens Tessera's own key signed", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...decodeJwt(userToken), iat: now, nbf: now, exp: now + 900 };
    const sign = async (c: JWTPayload, typ = 'at+jwt') => (await tessera.app.get(Signer).sign(c, typ)).token;
    const { exp: _exp, ...noExp } = claims;
    for (const token of [
      await sign(claims, 'JWT'), // RFC 9068: an ID token or any other JWT is not an access token
      await sign(noExp),
      await sign({ ...claims, iat: now + 3600, nbf: now + 3600, exp: now + 4500 }),
      await sign({ ...claims, exp: now - 60 }), // beyond the leeway
      await (async () => {
        // The right key and kid, another algorithm: only RS256 is accepted.
        const { kid, privateKey } = tessera.app.get(KeysService).ring.current!;
        return new SignJWT(claims).setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid }).sign(privateKey);
      })(),
    ]) {
      await expectInvalidToken(await call('GET', '/v1/models', token));
    }
    // The media type may carry its prefix (RFC 7515 4.1.9), and a few seconds of skew are tolerated.
    expect((await call('GET', '/v1/models', await sign(claims, 'application/at+jwt'))).status).toBe(200);
    expect((await call('GET', '/v1/models', await sign({ ...claims, iat: now + 10, nbf: now + 10 }))).status).toBe(200);
    expect((await call('GET', '/v1/models', await sign({ ...claims, exp: now - 10 }))).status).toBe(200);
  });

  it("accepts an API key's client_credentials token on /ocr/extract, and only where its scopes reach", async () => {
    expect(decodeJwt(apiKeyToken)).toMatchObject({ sub: t.apiKey.id, scope: 'ocr:infer models:list' });
    const res = await fetch(`${api}/ocr/extract`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKeyToken}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from('fake image bytes'),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ text: '', bytes: 16, subject: t.apiKey.id });
    expect((await chat(apiKeyToken)).status).toBe(403);
  });
});
