import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { FakeTessera, FEED_CREDENTIALS } from '../test/fake-tessera';
import { TesseraVerifier } from './verifier';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The signature and claim checks, and how the JWKS is fetched and kept (contract 2.5, 2.7). */
describe('TesseraVerifier: signature, claims and the JWKS', () => {
  let fake: FakeTessera;
  let sut: TesseraVerifier;
  const make = (over: Partial<ConstructorParameters<typeof TesseraVerifier>[0]> = {}) =>
    new TesseraVerifier({ issuer: fake.base, revocations: FEED_CREDENTIALS, pollIntervalMs: 50, jwksCooldownMs: 300, ...over });
  const reason = async (token: string) => {
    const out = await sut.verifyToken(token);
    return out.ok ? 'ok' : `${out.refusal.status} ${out.refusal.detail}`;
  };

  beforeAll(async () => {
    fake = await FakeTessera.start();
  });

  beforeEach(() => {
    fake.reset();
    sut = make();
  });

  afterEach(() => sut.close());
  afterAll(() => fake.close());

  it('accepts a token of the current key, with its claims and scopes', async () => {
    const out = await sut.verifyToken(await fake.sign({ sub: 'alice' }));
    expect(out).toMatchObject({ ok: true, claims: { sub: 'alice', tenant: 'acme' }, scopes: ['models:list', 'chat:completions'] });
  });

  it('refuses a wrong iss, aud or typ, an expired token past the leeway and one not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await reason(await fake.sign({ iss: 'http://elsewhere' }))).toMatch(/^401/);
    expect(await reason(await fake.sign({ aud: 'http://another-api' }))).toMatch(/^401/);
    expect(await reason(await fake.sign({}, { header: { typ: 'JWT' } }))).toMatch(/^401/);
    expect(await reason(await fake.sign({ exp: now - 31 }))).toMatch(/^401 ERR_JWT_EXPIRED/);
    expect(await reason(await fake.sign({ exp: now - 20 }))).toBe('ok');
    expect(await reason(await fake.sign({ nbf: now + 60 }))).toMatch(/^401/);
    expect(await reason(await fake.sign({ jti: undefined }))).toMatch(/^401/);
    expect(await reason(await fake.sign({ tenant_id: 7 }))).toMatch(/^401/);
  });

  it('holds a token to its key’s algorithm, whatever the header says', async () => {
    const ec = await fake.addKey('ES256');
    const ed = await fake.addKey('EdDSA');
    expect(await reason(await fake.sign({}, { key: ec }))).toBe('ok');
    expect(await reason(await fake.sign({}, { key: ed }))).toBe('ok');
    // An RS256 key's kid on a PS256 signature by the same private key: valid RSA, wrong algorithm.
    const rsa = fake.keys[0];
    const ps = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid: rsa.kid }).sign(rsa.privateKey);
    expect(await reason(ps)).toMatch(/^401/);
    const hs = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: rsa.kid }).sign(new TextEncoder().encode('k'.repeat(32)));
    expect(await reason(hs)).toMatch(/^401/);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: rsa.kid })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    expect(await reason(none)).toMatch(/^401/);
  });

  it('refuses a signature by a key the JWKS does not hold under that kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ sub: 'x', iss: fake.base, aud: fake.base, jti: 'j', tenant_id: 't' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: fake.keys[0].kid })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await reason(forged)).toMatch(/^401 ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
  });

  it('fetches the JWKS once while it is fresh, and revalidates it with its ETag after max-age', async () => {
    fake.jwksMaxAge = 1;
    await sut.ready();
    const token = await fake.sign();
    for (let i = 0; i < 20; i++) expect(await reason(token)).toBe('ok');
    expect(fake.jwksHits).toBe(1);
    await sleep(1100);
    expect(await reason(token)).toBe('ok'); // answered from the stale set, revalidated behind it
    for (let i = 0; i < 100 && fake.jwksHits < 2; i++) await sleep(20);
    await sleep(50);
    expect(fake.jwksHits).toBe(2);
    expect(fake.notModified.jwks).toBe(1);
    expect(sut.status().jwksAgeMs).toBeLessThan(200);
  });

  it('refetches on an unknown kid, at most once per cooldown however many arrive', async () => {
    const later = await fake.addKey('RS256', false);
    // Signed beforehand: on a busy machine 50 RSA signatures could outlast the cooldown.
    const random = await Promise.all(Array.from({ length: 50 }, () => fake.sign({}, { header: { kid: randomUUID() } })));
    const flood = () => Promise.all(random.map(reason));
    await sut.ready();
    expect((await flood()).every((r) => r.startsWith('401'))).toBe(true);
    expect(fake.jwksHits).toBe(1); // still within the cooldown of the first fetch
    await sleep(320);
    fake.keys.push(later);
    expect(await reason(await fake.sign({}, { key: later }))).toBe('ok');
    expect((await flood()).every((r) => r === '401 unknown kid')).toBe(true);
    expect(fake.jwksHits).toBe(2);
  });

  it('keeps the last good JWKS while the service fails, and answers 503 only when it never had one', async () => {
    await sut.ready();
    fake.down = true;
    await sleep(320);
    expect(await reason(await fake.sign())).toBe('ok');
    expect(await reason(await fake.sign({}, { header: { kid: 'unknown' } }))).toMatch(/^401/);
    expect(sut.status().lastError).toMatch(/jwks: HTTP 503/);
    const fresh = make({ revocations: false });
    expect(await fresh.verifyToken(await fake.sign())).toMatchObject({ ok: false, refusal: { status: 503, error: 'temporarily_unavailable' } });
    // A failed first fetch is retried after 5 s, not on every request meanwhile.
    fake.down = false;
    const hits = fake.jwksHits;
    expect(await fresh.verifyToken(await fake.sign())).toMatchObject({ ok: false, refusal: { status: 503 } });
    expect(fake.jwksHits).toBe(hits);
    await sleep(5100);
    expect(await fresh.verifyToken(await fake.sign())).toMatchObject({ ok: true });
  }, 15_000);
});
