import { bearer, createTenantViaApi, platformToken } from './support/admin';
import { createTenant, type TenantFixture } from './support/fixtures';
import { createTestApp, type TestApp } from './support/test-app';

const NUL = '\u0000';

/** A NUL byte cannot be stored in Postgres text: every route answers it with a 4xx, never a 500. */
describe('NUL bytes in input', () => {
  let sut: TestApp;
  let t: TenantFixture;
  let platform: string;

  beforeAll(async () => {
    sut = await createTestApp({ THROTTLE_PER_SUBJECT: '1000/60s', THROTTLE_PER_IP: '10000/60s' });
    t = await createTenant(sut);
    platform = await platformToken(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('at /token, in every field, as a form and as JSON: 400 invalid_request', async () => {
    const good = { grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password };
    for (const field of ['username', 'client_id', 'password', 'grant_type', 'scope']) {
      const body = { ...good, [field]: `a${NUL}b` };
      for (const res of [await sut.http().post('/token').type('form').send(body), await sut.http().post('/token').send(body)]) {
        expect({ field, status: res.status, error: res.body.error }).toEqual({ field, status: 400, error: 'invalid_request' });
      }
    }
    const res = await sut.http().post('/token').send({ ...good, [`user${NUL}name`]: 'x' });
    expect(res.status).toBe(400);
  });

  it('bytes that are not UTF-8, raw or percent-encoded, at /token, /revoke and /introspect: a 4xx', async () => {
    const basic = `Basic ${Buffer.from(`${t.confidential.clientId}:${t.confidential.secret}`).toString('base64')}`;
    for (const path of ['/token', '/revoke', '/introspect']) {
      for (const body of [Buffer.concat([Buffer.from('grant_type=password&token='), Buffer.from([0xff, 0xfe, 0xc3])]), Buffer.from('grant_type=%FF%FE&token=%C3%28')]) {
        const res = await sut.http().post(path).set('authorization', basic).set('content-type', 'application/x-www-form-urlencoded').send(body);
        expect({ path, ok: res.status < 500 }).toEqual({ path, ok: true });
        if (res.status >= 400) expect(res.body.error).toEqual(expect.any(String));
      }
    }
    await sut.http().post('/token').set('content-type', 'application/json').send(Buffer.from([0x7b, 0xff, 0x7d])).expect(400);
  });

  it('in HTTP Basic client credentials: 401 invalid_client', async () => {
    const basic = `Basic ${Buffer.from(`${t.confidential.clientId}${NUL}:${t.confidential.secret}`).toString('base64')}`;
    for (const path of ['/token', '/revoke', '/introspect']) {
      const res = await sut.http().post(path).set('authorization', basic).type('form').send({ grant_type: 'client_credentials', token: 'x' });
      expect({ path, status: res.status, error: res.body.error }).toEqual({ path, status: 401, error: 'invalid_client' });
    }
  });

  it('in admin bodies, query strings and path parameters: a problem+json 4xx', async () => {
    const tenant = await createTenantViaApi(sut, platform);
    const attempts = [
      sut.http().post('/admin/tenants').set(bearer(platform)).send({ slug: 'nul-tenant', name: `a${NUL}b` }),
      sut.http().patch(`/admin/tenants/${tenant.id}`).set(bearer(platform)).send({ name: `a${NUL}b` }),
      sut.http().post(`/admin/tenants/${tenant.id}/users`).set(bearer(platform)).send({ username: `al${NUL}ice`, password: 'a long enough password 1', scopes: [] }),
      sut.http().post(`/admin/tenants/${tenant.id}/clients`).set(bearer(platform)).send({ name: `c${NUL}`, type: 'public', grantTypes: ['password'], scopes: [] }),
      sut.http().post(`/admin/tenants/${tenant.id}/api-keys`).set(bearer(platform)).send({ name: `k${NUL}`, scopes: [] }),
      sut.http().get(`/admin/audit-events?action=a%00b`).set(bearer(platform)),
      sut.http().get(`/admin/tenants/${tenant.id}%00`).set(bearer(platform)),
      sut.http().post('/me/password').set(bearer(platform)).send({ currentPassword: `x${NUL}`, newPassword: `y${NUL}yyyyyyyyyyyyy` }),
    ];
    for (const [i, res] of (await Promise.all(attempts)).entries()) {
      expect({ attempt: i, status: res.status < 500 && res.status >= 400, type: res.headers['content-type'] }).toEqual({
        attempt: i,
        status: true,
        type: 'application/problem+json; charset=utf-8',
      });
    }
    await sut.http().get('/health/ready').expect(200);
  });
});
