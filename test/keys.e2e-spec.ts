import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { KeysService, MAX_ACCESS_TOKEN_TTL, CLOCK_SKEW } from '../src/keys/keys.service';
import { Signer } from '../src/keys/signer';
import { FakeClock } from './support/fake-clock';
import { startApp, testConfig, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const DAY = 86400;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];
/** Key changes made by the test itself, as an admin would. */
const TEST_ACTOR = { id: 'test', ip: null, userAgent: null };

async function jwks(app: TestApp): Promise<JSONWebKeySet> {
  const res = await app.http().get('/.well-known/jwks.json').expect(200);
  return res.body;
}

const kids = async (app: TestApp) => (await jwks(app)).keys.map((k) => k.kid).sort();

async function states(app: TestApp): Promise<Record<string, string>> {
  const rows: { kid: string; state: string }[] = await app.dataSource.query(`SELECT kid, state FROM signing_keys`);
  return Object.fromEntries(rows.map((r) => [r.kid, r.state]));
}

function kidOf(all: Record<string, string>, state: string): string {
  const found = Object.entries(all).filter(([, s]) => s === state);
  expect(found).toHaveLength(1);
  return found[0][0];
}

async function signAt(app: TestApp, clock: FakeClock) {
  const now = clock.nowSeconds();
  return app.app.get(Signer).sign({ sub: 'user-1', iat: now, nbf: now, exp: now + 900 });
}

async function verifiesAgainst(set: JSONWebKeySet, token: string, clock: FakeClock) {
  return jwtVerify(token, createLocalJWKSet(set), { currentDate: clock.now(), typ: 'at+jwt' });
}

describe('signing keys', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const start = async (overrides: Record<string, string> = {}, clock = new FakeClock()) => {
    const app = await startApp(testConfig(db, overrides), { clock });
    apps.push(app);
    return app;
  };

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await db.drop();
  });

  it('publish a current and a next RS256 key, public members only, cacheable with an ETag', async () => {
    const app = await start();
    const res = await app.http().get('/.well-known/jwks.json').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.body.keys).toHaveLength(2);
    for (const key of res.body.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', e: 'AQAB' });
      for (const m of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(m);
      expect(Buffer.from(key.n, 'base64url')).toHaveLength(256);
    }
    expect(Object.values(await states(app)).sort()).toEqual(['current', 'next']);

    await app.http().get('/.well-known/jwks.json').set('If-None-Match', res.headers.etag).expect(304);
    await app.http().get('/.well-known/jwks.json').set('If-None-Match', `"other", ${res.headers.etag}`).expect(304);
    await app.http().get('/.well-known/jwks.json').set('If-None-Match', '*').expect(304);
    await app.http().get('/.well-known/jwks.json').set('If-None-Match', '"stale"').expect(200);
  });

  it('answer the plain GET before Fastify with the very bytes and headers the route gives', async () => {
    const app = await start({ CORS_ORIGINS: 'https://console.example.com' });
    // The server's request event (supertest) is where the plain GET is answered directly;
    // inject() hands a request to Fastify's own handler, and a query string sends it there too.
    const direct = await app.http().get('/.well-known/jwks.json').set('x-request-id', 'direct-1').expect(200);
    const injected = await app.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/.well-known/jwks.json', headers: { 'x-request-id': 'routed-1' } });
    const withQuery = await app.http().get('/.well-known/jwks.json?from=route').expect(200);
    const comparable = (headers: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => !['date', 'connection', 'keep-alive', 'x-request-id'].includes(name)).map(([name, value]) => [name, String(value)]));
    expect(comparable(direct.headers)).toEqual(comparable(injected.headers));
    expect(comparable(direct.headers)).toEqual(comparable(withQuery.headers));
    expect(direct.text).toBe(injected.body);
    expect(direct.text).toBe(withQuery.text);
    expect([direct.headers['x-request-id'], injected.headers['x-request-id']]).toEqual(['direct-1', 'routed-1']);
    expect(direct.headers['x-content-type-options']).toBe('nosniff');
    expect(direct.headers.vary).toBe('Origin');

    // What the direct answer leaves to the route still works there.
    const head = await app.http().head('/.well-known/jwks.json').expect(200);
    expect(head.headers.etag).toBe(direct.headers.etag);
    await app.http().get('/.well-known/jwks.json').set('If-None-Match', direct.headers.etag).expect(304);
    const cors = await app.http().get('/.well-known/jwks.json').set('origin', 'https://console.example.com').expect(200);
    expect(cors.headers['access-control-allow-origin']).toBe('https://console.example.com');
    expect(cors.text).toBe(direct.text);
  });

  it('store private keys only encrypted, under a 0600 development KEK kept in DATA_DIR', async () => {
    const app = await start();
    const rows = await app.dataSource.query(`SELECT private_key_ciphertext, public_jwk, kek_id FROM signing_keys`);
    for (const row of rows) {
      expect(row.private_key_ciphertext.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
      expect(row.private_key_ciphertext[0]).toBe(1);
      for (const m of PRIVATE_MEMBERS) expect(row.public_jwk).not.toHaveProperty(m);
    }
    const kekPath = join(db.env.DATA_DIR, 'kek.key');
    expect(statSync(kekPath).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(kekPath, 'utf8').trim(), 'base64')).toHaveLength(32);
  });

  it('walk the whole lifecycle: next before it signs, rotation, retirement, removal, revocation', async () => {
    const clock = new FakeClock();
    const app = await start({}, clock);
    const keys = app.app.get(KeysService);
    const initial = await states(app);
    const [a, b] = [kidOf(initial, 'current'), kidOf(initial, 'next')];
    const cachedBeforeRotation = await jwks(app);

    // Not yet due: nothing moves.
    clock.advance(30 * DAY - 10);
    await keys.tick();
    expect(await states(app)).toEqual(initial);
    const tokenA = await signAt(app, clock);
    expect(tokenA.kid).toBe(a);

    // Due: the pre-published key signs at once, a new next appears, the old one is retired.
    clock.advance(10);
    await keys.tick();
    const rotated = await states(app);
    const c = kidOf(rotated, 'next');
    expect(rotated).toEqual({ [a]: 'retired', [b]: 'current', [c]: 'next' });
    expect(await kids(app)).toEqual([a, b, c].sort());
    const tokenB = await signAt(app, clock);
    expect(tokenB.kid).toBe(b);
    // A verifier that cached the JWKS before the rotation already holds the new signing key...
    await expect(verifiesAgainst(cachedBeforeRotation, tokenB.token, clock)).resolves.toBeDefined();
    // ...and a token signed before the rotation verifies against the JWKS after it.
    await expect(verifiesAgainst(await jwks(app), tokenA.token, clock)).resolves.toBeDefined();

    // The retired key stays until the longest access token it could have signed has expired.
    clock.advance(MAX_ACCESS_TOKEN_TTL + CLOCK_SKEW - 1);
    await keys.tick();
    expect(await kids(app)).toContain(a);
    clock.advance(1);
    await keys.tick();
    expect(await kids(app)).toEqual([b, c].sort());
    expect(keys.ring.accepts(a)).toBe(false);

    // Revoking the current key withdraws it at once: the next key signs, and a new next appears.
    await keys.revoke(b, TEST_ACTOR);
    const afterRevoke = await states(app);
    expect(afterRevoke[b]).toBe('revoked');
    expect(kidOf(afterRevoke, 'current')).toBe(c);
    expect(await kids(app)).not.toContain(b);
    expect(keys.ring.accepts(b)).toBe(false);
    expect((await signAt(app, clock)).kid).toBe(c);
    await expect(verifiesAgainst(await jwks(app), tokenB.token, clock)).rejects.toThrow();
  });

  it('promote on schedule only a next key published for at least one max-age', async () => {
    const clock = new FakeClock();
    const app = await start({}, clock);
    const keys = app.app.get(KeysService);
    clock.advance(10 * DAY);
    await keys.rotateNow(TEST_ACTOR);
    const fresh = kidOf(await states(app), 'next');
    // Thirty days after the manual rotation is due; push the next key's publication close to now.
    clock.advance(30 * DAY);
    await app.dataSource.query(`UPDATE signing_keys SET published_at = $1 WHERE kid = $2`, [
      new Date(clock.now().getTime() - 299_000),
      fresh,
    ]);
    await keys.tick();
    expect(kidOf(await states(app), 'next')).toBe(fresh);
    clock.advance(1);
    await keys.tick();
    expect(kidOf(await states(app), 'current')).toBe(fresh);
  });

  it('rotate exactly once with two instances on one database, and both serve the new set', async () => {
    const clock = new FakeClock();
    const [one, two] = await Promise.all([start({}, clock), start({}, clock)]);
    expect(Object.values(await states(one)).sort()).toEqual(['current', 'next']);
    clock.advance(30 * DAY);
    await Promise.all([one.app.get(KeysService).tick(), two.app.get(KeysService).tick()]);
    const after = await states(one);
    expect(Object.values(after).sort()).toEqual(['current', 'next', 'retired']);
    const [{ n }] = await one.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'signing_key.rotated'`,
    );
    expect(n).toBe(1);
    expect(one.app.get(KeysService).ring.current?.kid).toBe(kidOf(after, 'current'));
    expect(two.app.get(KeysService).ring.current?.kid).toBe(kidOf(after, 'current'));
    expect((await jwks(one)).keys).toEqual((await jwks(two)).keys);
  });

  it('let every instance pick up another instance’s rotation within half a max-age', async () => {
    const [one, two] = await Promise.all([start({ JWKS_MAX_AGE: '4' }), start({ JWKS_MAX_AGE: '4' })]);
    const rotated = await one.app.get(KeysService).rotateNow(TEST_ACTOR);
    const deadline = Date.now() + 2000;
    while (two.app.get(KeysService).ring.current?.kid !== rotated.kid && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(two.app.get(KeysService).ring.current?.kid).toBe(rotated.kid);
  });

  it('refuse to start with a KEK that does not decrypt the stored keys, saying so plainly', async () => {
    const kek = () => randomBytes(32).toString('base64');
    const first = await start({ KEY_ENCRYPTION_KEY: kek() });
    await first.close();
    apps.splice(0);
    const attempt = startApp(testConfig(db, { KEY_ENCRYPTION_KEY: kek() }));
    await expect(attempt).rejects.toThrow(/is encrypted under key-encryption key \S+, but KEY_ENCRYPTION_KEY is \S+/);
    const err = await attempt.catch((e: Error) => e);
    expect(String((err as Error).message)).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['ES256', { kty: 'EC', crv: 'P-256', alg: 'ES256' }],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' }],
  ])('sign with %s when SIGNING_ALG selects it', async (alg, shape) => {
    const clock = new FakeClock(new Date());
    const app = await start({ SIGNING_ALG: alg }, clock);
    const set = await jwks(app);
    expect(set.keys[0]).toMatchObject(shape);
    const { token } = await signAt(app, clock);
    const { protectedHeader } = await verifiesAgainst(set, token, clock);
    expect(protectedHeader).toMatchObject({ alg, typ: 'at+jwt' });
  });

  it('serve RFC 8414 metadata and report readiness with the signing key', async () => {
    const app = await start({ ISSUER: 'https://auth.example.com' });
    const res = await app.http().get('/.well-known/oauth-authorization-server').expect(200);
    expect(res.body).toMatchObject({
      issuer: 'https://auth.example.com',
      token_endpoint: 'https://auth.example.com/token',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      revocation_endpoint: 'https://auth.example.com/revoke',
      introspection_endpoint: 'https://auth.example.com/introspect',
      grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
    });
    const ready = await app.http().get('/health/ready').expect(200);
    expect(ready.body.info.signingKey).toEqual({ status: 'up', kid: app.app.get(KeysService).ring.current?.kid });
  });
});
