import { randomUUID } from 'node:crypto';
import { INFERENCE_SCOPES } from '../../src/auth/scopes';
import { ClientsService } from '../../src/clients/clients.service';
import { KeysService } from '../../src/keys/keys.service';
import { Signer } from '../../src/keys/signer';
import { RevocationCache } from '../../src/verify/revocation-cache';
import { bearer, platformToken } from '../support/admin';
import { createTenant, type TenantFixture } from '../support/fixtures';
import { createTestApp, type TestApp } from '../support/test-app';
import { attackerKey, decodeJwt, flipSignatureBit, signRaw, tamperPayload, type AttackerKey, type Claims } from './support/forge';

/** How the four judges of a bearer token answered it. */
interface Judgement {
  introspect: boolean | string;
  verify: number;
  me: number;
  admin: number;
}

const ACCEPTED: Judgement = { introspect: true, verify: 204, me: 200, admin: 200 };
const REFUSED: Judgement = { introspect: false, verify: 401, me: 401, admin: 401 };

/**
 * The forged-token corpus (test/adversarial/README.md says where each case comes from). Every
 * case runs after its control: the genuine token, or one the service's own key signed with the
 * same claims, is accepted by all four judges first, so a refusal is the forgery's doing.
 */
describe('forged tokens at /introspect, /verify, /me and the admin API', () => {
  let sut: TestApp;
  let attacker: AttackerKey;

  beforeAll(async () => {
    sut = await createTestApp({ THROTTLE_PER_SUBJECT: '10000/60s', THROTTLE_PER_IP: '100000/60s' });
    attacker = attackerKey();
  });

  afterAll(async () => {
    await sut.close();
  });

  /** A tenant of its own whose user may call /verify's route (models:list) and its tenant's admin API. */
  async function subject(): Promise<{ t: TenantFixture; access: string; refresh: string }> {
    const scopes = ['models:list', 'admin:tenant'];
    const t = await createTenant(sut, { userScopes: scopes, clientScopes: [...INFERENCE_SCOPES, 'admin:tenant'] });
    const res = await sut
      .http()
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password });
    expect(res.status).toBe(200);
    return { t, access: res.body.access_token, refresh: res.body.refresh_token };
  }

  async function judge(t: TenantFixture, token: string, hint = 'access_token'): Promise<Judgement> {
    const [introspect, verify, me, admin] = await Promise.all([
      sut.http().post('/introspect').auth(t.confidential.clientId, t.confidential.secret).type('form').send({ token, token_type_hint: hint }),
      sut.http().get('/verify').set({ 'x-original-method': 'GET', 'x-original-uri': '/v1/models', ...bearer(token) }),
      sut.http().get('/me').set(bearer(token)),
      sut.http().get(`/admin/tenants/${t.tenantId}/users`).set(bearer(token)),
    ]);
    for (const res of [verify, me, admin]) {
      // RFC 6750 §3.1: a refused bearer token gets the invalid_token challenge, never a 5xx.
      if (res.status === 401) expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="invalid_token"');
    }
    return {
      introspect: introspect.status === 200 ? introspect.body.active : `status ${introspect.status} ${introspect.body.error}`,
      verify: verify.status,
      me: me.status,
      admin: admin.status,
    };
  }

  async function expectAll(t: TenantFixture, control: string, cases: Record<string, string>): Promise<void> {
    expect({ case: 'control', ...(await judge(t, control)) }).toEqual({ case: 'control', ...ACCEPTED });
    for (const [name, token] of Object.entries(cases)) {
      expect({ case: name, ...(await judge(t, token)) }).toEqual({ case: name, ...REFUSED });
    }
  }

  const now = () => Math.floor(Date.now() / 1000);
  const kid = () => sut.app.get(KeysService).ring.current!.kid;
  /** The claims of a genuine token, made fresh: a new jti and a new lifetime from now. */
  const fresh = (genuine: string, change: Claims = {}): Claims => ({ ...decodeJwt(genuine).claims, jti: randomUUID(), iat: now(), nbf: now(), exp: now() + 600, ...change });
  /** Signed by the service's own current key, as a token it issued would be. */
  const serviceSigned = async (claims: Claims, typ = 'at+jwt') => (await sut.app.get(Signer).sign(claims, typ)).token;

  it('alg none in any spelling, with or without a signature', async () => {
    const { t, access } = await subject();
    const { claims, signature } = decodeJwt(access);
    const cases: Record<string, string> = {};
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = signRaw({ alg, typ: 'at+jwt', kid: kid() }, claims, { none: true });
      cases[`alg ${alg}`] = unsigned;
      cases[`alg ${alg}, original signature kept`] = `${unsigned}${signature}`;
    }
    await expectAll(t, access, cases);
  });

  it('HS256 keyed with the service’s RSA public key, as PEM and as its published JWK (RFC 8725 §2.1)', async () => {
    const { t, access } = await subject();
    const { claims } = decodeJwt(access);
    const jwks = (await sut.http().get('/.well-known/jwks.json').expect(200)).body.keys as Record<string, unknown>[];
    const jwk = jwks.find((k) => k.kid === kid())!;
    const pem = sut.app.get(KeysService).ring.verificationKey(kid())!.key.export({ format: 'pem', type: 'spki' }) as string;
    const cases: Record<string, string> = {};
    for (const [form, secret] of Object.entries({ PEM: pem, 'PEM without its final newline': pem.trimEnd(), JWK: JSON.stringify(jwk), 'JWK modulus': Buffer.from(jwk.n as string, 'base64url') })) {
      for (const alg of ['HS256', 'hs256']) cases[`${alg} keyed with the ${form}`] = signRaw({ alg, typ: 'at+jwt', kid: kid() }, claims, { hmac: secret });
    }
    await expectAll(t, access, cases);
  });

  it('a flipped signature bit, and a payload tampered under the original signature', async () => {
    const { t, access } = await subject();
    await expectAll(t, access, {
      'one signature bit flipped': flipSignatureBit(access),
      'scope widened': tamperPayload(access, { scope: 'models:list admin:tenant admin:platform' }),
      'another subject': tamperPayload(access, { sub: randomUUID() }),
      'expiry extended': tamperPayload(access, { exp: now() + 86400 * 365 }),
    });
  });

  it('kids that do not exist or carry path, SQL or NUL characters', async () => {
    const { t, access } = await subject();
    const { claims } = decodeJwt(access);
    const rs = (k: string) => signRaw({ alg: 'RS256', typ: 'at+jwt', kid: k }, claims, { rsa: attacker.privateKey });
    await expectAll(t, access, {
      'unknown kid': rs('does-not-exist'),
      'path kid, HS256 with the empty file’s key': signRaw({ alg: 'HS256', typ: 'at+jwt', kid: '../../../../../../dev/null' }, claims, { hmac: '' }),
      'path kid': rs('../../../../etc/passwd'),
      'SQL kid': rs("' UNION SELECT public_jwk FROM signing_keys --"),
      'NUL kid': rs(`${kid()}\u0000`),
      'NUL then path kid': rs(`x\u0000../../dev/null`),
      'kid not a string': signRaw({ alg: 'RS256', typ: 'at+jwt', kid: { $ne: null } }, claims, { rsa: attacker.privateKey }),
    });
  });

  it('jku, x5u, jwk and x5c headers naming an attacker’s key (RFC 8725 §3.10), and the attacker’s key under the service’s kid', async () => {
    const { t, access } = await subject();
    const { claims } = decodeJwt(access);
    const rs = (header: Record<string, unknown>) => signRaw({ alg: 'RS256', typ: 'at+jwt', ...header }, claims, { rsa: attacker.privateKey });
    await expectAll(t, access, {
      jku: rs({ kid: 'attacker', jku: 'https://attacker.example/jwks.json' }),
      x5u: rs({ kid: 'attacker', x5u: 'https://attacker.example/cert.pem' }),
      'embedded jwk': rs({ jwk: attacker.publicJwk }),
      'embedded jwk under the service kid': rs({ kid: kid(), jwk: { ...attacker.publicJwk, kid: kid() } }),
      x5c: rs({ x5c: [attacker.x5c] }),
      'x5c under the service kid': rs({ kid: kid(), x5c: [attacker.x5c] }),
      'the service kid, the attacker’s key': rs({ kid: kid() }),
    });
  });

  it('signed by the service’s own key but expired, not yet valid, of another iss, or without typ at+jwt', async () => {
    const { t, access } = await subject();
    const current = sut.app.get(KeysService).ring.current!;
    await expectAll(t, await serviceSigned(fresh(access)), {
      // Beyond the 60 s of clock skew either way.
      expired: await serviceSigned(fresh(access, { iat: now() - 1200, nbf: now() - 1200, exp: now() - 120 })),
      'not yet valid': await serviceSigned(fresh(access, { nbf: now() + 600, exp: now() + 1200 })),
      'wrong iss': await serviceSigned(fresh(access, { iss: 'https://attacker.example' })),
      'typ JWT (RFC 9068 §4: confusion with other JWTs)': await serviceSigned(fresh(access), 'JWT'),
      'typ of another kind': await serviceSigned(fresh(access), 'rt+jwt'),
      'no typ': signRaw({ alg: current.alg, kid: current.kid }, fresh(access), { rsa: current.privateKey }),
    });
  });

  it('a token for another audience: refused by /verify, /me and the admin API, inactive at /introspect except to its own resource server', async () => {
    const { t, access } = await subject();
    const audience = 'https://billing.internal';
    // A genuine token of the same user, issued to a client of its tenant meant for another
    // resource server: replaying it at the inference API is the audience confusion of RFC 8725 §3.9.
    const clients = sut.app.get(ClientsService);
    const { client } = await clients.create({ tenantId: t.tenantId, name: 'billing', type: 'public', grantTypes: ['password'], scopes: ['models:list', 'admin:tenant'], audience });
    const res = await sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: client.clientId, username: t.user.username, password: t.user.password }).expect(200);
    const forged = await serviceSigned(fresh(access, { aud: 'https://attacker.example' }));
    expect(await judge(t, access)).toEqual(ACCEPTED);
    // RFC 7662 §2.2 and §4: a token the caller may not know about is inactive to it.
    for (const token of [res.body.access_token, forged]) expect(await judge(t, token)).toEqual(REFUSED);
    // The billing resource server itself (a confidential client with that audience) sees its token.
    const { client: billing, secret } = await clients.create({ tenantId: t.tenantId, name: 'billing api', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['models:list'], audience });
    const described = await sut.http().post('/introspect').auth(billing.clientId, secret!).type('form').send({ token: res.body.access_token }).expect(200);
    expect(described.body).toMatchObject({ active: true, aud: audience });
  });

  it('a refresh token presented as an access token, and an access token as a refresh token', async () => {
    const { t, access, refresh } = await subject();
    expect(await judge(t, access)).toEqual(ACCEPTED);
    // RFC 7662 lets the caller introspect a refresh token: described as one, never as an access token.
    const introspected = await sut.http().post('/introspect').auth(t.confidential.clientId, t.confidential.secret).type('form').send({ token: refresh, token_type_hint: 'access_token' });
    expect(introspected.body).toMatchObject({ active: true, token_type: 'refresh_token' });
    expect({ ...(await judge(t, refresh)), introspect: false }).toEqual(REFUSED);
    const asRefresh = await sut.http().post('/token').type('form').send({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: access });
    expect({ status: asRefresh.status, body: asRefresh.body }).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'The grant is invalid, expired or revoked.' } });
    // ...and the refresh token was not used up by any of that.
    await sut.http().post('/token').type('form').send({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: refresh }).expect(200);
  });

  it('a token of a deleted user, and of a deleted tenant', async () => {
    const platform = await platformToken(sut);
    const user = await subject();
    expect(await judge(user.t, user.access)).toEqual(ACCEPTED);
    await sut.http().delete(`/admin/tenants/${user.t.tenantId}/users/${user.t.user.id}`).set(bearer(platform)).expect(204);
    // /verify may lag by REVOCATION_CACHE_STALENESS (that bound: verify-cache.e2e-spec.ts); catch it up.
    await sut.app.get(RevocationCache).refresh();
    expect(await judge(user.t, user.access)).toEqual(REFUSED);

    const tenant = await subject();
    expect(await judge(tenant.t, tenant.access)).toEqual(ACCEPTED);
    await sut.http().delete(`/admin/tenants/${tenant.t.tenantId}`).set(bearer(platform)).expect(204);
    await sut.app.get(RevocationCache).refresh();
    // Its own confidential client, the only caller that could see its tokens, is gone with it:
    // refused, or (within the 5 s a client stays cached) told the token is inactive.
    const gone = await judge(tenant.t, tenant.access);
    expect([false, 'status 401 invalid_client']).toContain(gone.introspect);
    expect({ ...gone, introspect: false }).toEqual(REFUSED);
  });

  // Last: revoking the current key hands signing to the next one for every tenant of this app.
  it('a token of a revoked signing key', async () => {
    const { t, access } = await subject();
    expect(await judge(t, access)).toEqual(ACCEPTED);
    const revoked = decodeJwt(access).header.kid as string;
    await sut.http().post(`/admin/keys/${revoked}/revoke`).set(bearer(await platformToken(sut))).expect(200);
    expect(await judge(t, access)).toEqual(REFUSED);
    // The same claims under the key that took over are still good: it was the key, not the claims.
    expect(await judge(t, await serviceSigned(fresh(access)))).toEqual(ACCEPTED);
  });
});
