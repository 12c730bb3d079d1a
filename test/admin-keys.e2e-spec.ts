import { decodeJwt, decodeProtectedHeader } from 'jose';
import { bearer, createTenantViaApi, platformToken, tenantAdminToken } from './support/admin';
import { createTestApp, type TestApp } from './support/test-app';

interface Summary {
  kid: string;
  state: string;
}

const SUMMARY_FIELDS = ['activatedAt', 'alg', 'createdAt', 'kid', 'publishedAt', 'removeAfter', 'retiredAt', 'revokedAt', 'state'];
const AGENT = 'admin-keys-spec/1.0';

describe('admin API: signing keys', () => {
  let sut: TestApp;
  let platform: string;

  const list = async (): Promise<Summary[]> => (await sut.http().get('/admin/keys').set(bearer(platform)).expect(200)).body.items;
  const kidOf = async (state: string) => (await list()).find((k) => k.state === state)!.kid;
  const jwksKids = async () => ((await sut.http().get('/.well-known/jwks.json').expect(200)).body.keys as { kid: string }[]).map((k) => k.kid);
  const signingKid = async () => decodeProtectedHeader(await platformToken(sut)).kid;

  beforeAll(async () => {
    sut = await createTestApp();
    platform = await platformToken(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('lists the current and the next key, with dates and no key material', async () => {
    const res = await sut.http().get('/admin/keys').set(bearer(platform)).expect(200);
    expect(Object.keys(res.body)).toEqual(['items']);
    expect(res.body.items.map((k: Summary) => k.state).sort()).toEqual(['current', 'next']);
    for (const key of res.body.items) {
      expect(Object.keys(key).sort()).toEqual(SUMMARY_FIELDS);
      expect(key).toMatchObject({ alg: 'RS256', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), createdAt: expect.any(String), publishedAt: expect.any(String) });
    }
  });

  it('rotates: the next key signs new tokens at once, the old one is retired but still published', async () => {
    const [before, next] = [await kidOf('current'), await kidOf('next')];
    expect(await signingKid()).toBe(before);
    const res = await sut.http().post('/admin/keys/rotate').set(bearer(platform)).set('user-agent', AGENT).expect(200);
    expect(res.body).toMatchObject({ kid: next, state: 'current', activatedAt: expect.any(String) });
    expect(await signingKid()).toBe(next);
    const after = await list();
    expect(after.find((k) => k.kid === before)).toMatchObject({ state: 'retired' });
    expect(after.filter((k) => k.state === 'next')).toHaveLength(1);
    expect(await jwksKids()).toEqual(expect.arrayContaining([before, next]));

    const [event] = await sut.dataSource.query(`SELECT * FROM audit_events WHERE action = 'signing_key.rotated' AND target = $1`, [next]);
    expect(event).toMatchObject({ actor: decodeJwt(platform).sub, user_agent: AGENT, ip: expect.any(String), outcome: 'success', tenant_id: null });
    expect(event.details).toEqual({ reason: 'manual', retired: before });
  });

  it('revokes a key: gone from the JWKS at once; revoking the current key hands signing to the next', async () => {
    await sut.http().post('/admin/keys/rotate').set(bearer(platform)).expect(200);
    const retired = (await list()).find((k) => k.state === 'retired')!.kid;
    const res = await sut.http().post(`/admin/keys/${retired}/revoke`).set(bearer(platform)).set('user-agent', AGENT).expect(200);
    expect(res.body).toMatchObject({ kid: retired, state: 'revoked', revokedAt: expect.any(String), removeAfter: expect.any(String) });
    expect(await jwksKids()).not.toContain(retired);
    // The admin's own token was signed by that key: it is refused from now on, as every such token.
    await sut.http().get('/admin/keys').set(bearer(platform)).expect(401);
    platform = await platformToken(sut);
    // Revoking twice changes nothing and still answers the key.
    await sut.http().post(`/admin/keys/${retired}/revoke`).set(bearer(platform)).expect(200);

    const current = await kidOf('current');
    const next = await kidOf('next');
    await sut.http().post(`/admin/keys/${current}/revoke`).set(bearer(platform)).expect(200);
    expect(await jwksKids()).not.toContain(current);
    expect(await signingKid()).toBe(next);
    platform = await platformToken(sut);

    const [event] = await sut.dataSource.query(`SELECT * FROM audit_events WHERE action = 'signing_key.revoked' AND target = $1`, [retired]);
    expect(event).toMatchObject({ actor: decodeJwt(platform).sub, user_agent: AGENT, outcome: 'success' });
  });

  it('answers 404 for an unknown kid and for anything that cannot be a kid', async () => {
    await sut.http().post(`/admin/keys/${'A'.repeat(43)}/revoke`).set(bearer(platform)).expect(404);
    for (const junk of ['not*a*kid', '%00', 'x'.repeat(99), '%E2%82%AC']) {
      const res = await sut.http().post(`/admin/keys/${junk}/revoke`).set(bearer(platform)).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('refuses tenant admins (403) and callers without a token (401)', async () => {
    const tenant = await createTenantViaApi(sut, platform);
    const tenantAdmin = await tenantAdminToken(sut, platform, tenant);
    const kid = await kidOf('current');
    await sut.http().get('/admin/keys').set(bearer(tenantAdmin)).expect(403);
    await sut.http().post('/admin/keys/rotate').set(bearer(tenantAdmin)).expect(403);
    await sut.http().post(`/admin/keys/${kid}/revoke`).set(bearer(tenantAdmin)).expect(403);
    await sut.http().get('/admin/keys').expect(401);
    expect(await kidOf('current')).toBe(kid);
  });
});
