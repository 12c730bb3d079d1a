import { bearer, createTenantViaApi, platformToken, type AdminTenant } from './support/admin';
import { createTestApp, type TestApp } from './support/test-app';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed.' };
const ACCESS_DENIED = { error: 'access_denied', error_description: 'This credential may not be used from this address.' };
const ALLOWED = ['10.0.0.0/8', '2001:db8::/32'];

/** Issue 11: allowedIps on API keys and confidential clients, at POST /token and GET /verify. */
describe('allowedIps', () => {
  let sut: TestApp;
  let platform: string;
  let tenant: AdminTenant;

  beforeAll(async () => {
    // Behind a proxy: X-Forwarded-For (and at /verify X-Real-IP) name the caller.
    sut = await createTestApp({ TRUST_PROXY: 'true', THROTTLE_PER_SUBJECT: '1000/60s' });
    platform = await platformToken(sut);
    tenant = await createTenantViaApi(sut, platform, { scopes: ['models:list', 'ocr:infer'] });
  });

  afterAll(async () => {
    await sut?.close();
  });

  const admin = (path: string) => `/admin/tenants/${tenant.id}${path}`;
  const createKey = (body: Record<string, unknown>) => sut.http().post(admin('/api-keys')).set(bearer(platform)).send({ name: 'k', scopes: ['models:list'], ...body });
  const createClient = (body: Record<string, unknown>) =>
    sut.http().post(admin('/clients')).set(bearer(platform)).send({ name: 'c', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['models:list'], ...body });
  const token = (id: string, secret: string, from?: string) => {
    const req = sut.http().post('/token').type('form');
    return (from ? req.set('x-forwarded-for', from) : req).send({ grant_type: 'client_credentials', client_id: id, client_secret: secret });
  };
  const verify = (credential: Record<string, string>, headers: Record<string, string> = {}) =>
    sut.http().get('/verify').set({ 'x-original-method': 'GET', 'x-original-uri': '/v1/models', ...credential, ...headers });
  const auditDetails = (target: string, action: string): Promise<{ details: Record<string, unknown> }[]> =>
    sut.dataSource.query(`SELECT details FROM audit_events WHERE target = $1 AND action = $2 ORDER BY at`, [target, action]);

  describe('an API key', () => {
    let key: { id: string; key: string };

    beforeAll(async () => {
      const res = await createKey({ allowedIps: ALLOWED }).expect(201);
      expect(res.body.allowedIps).toEqual(ALLOWED);
      key = res.body;
      const got = await sut.http().get(admin(`/api-keys/${key.id}`)).set(bearer(platform)).expect(200);
      expect(got.body.allowedIps).toEqual(ALLOWED);
      expect(await auditDetails(key.id, 'api_key.created')).toEqual([{ details: expect.objectContaining({ allowedIps: ALLOWED }) }]);
    });

    it('gets tokens from an allowed address, IPv4 or IPv6, and invalid_client from any other', async () => {
      for (const from of ['10.1.2.3', '10.255.0.1', '2001:db8::5', '2001:db8:ffff::1', '::ffff:10.1.2.3']) {
        const res = await token(key.id, key.key, from);
        expect([from, res.status]).toEqual([from, 200]);
      }
      for (const from of ['11.0.0.1', '2001:db9::1', '::ffff:11.0.0.1', 'not-an-address']) {
        const res = await token(key.id, key.key, from);
        // The same answer as a wrong secret: nothing tells the caller its key was right.
        expect([from, res.status, res.body, res.headers['www-authenticate']]).toEqual([from, 401, INVALID_CLIENT, expect.stringMatching(/^Basic/)]);
      }
      // Without X-Forwarded-For, the peer: this test's loopback.
      await token(key.id, key.key).expect(401, INVALID_CLIENT);
      // Basic authentication is judged the same way.
      const basic = `Basic ${Buffer.from(`${key.id}:${key.key}`).toString('base64')}`;
      await sut.http().post('/token').set({ authorization: basic, 'x-forwarded-for': '2001:db9::1' }).type('form').send({ grant_type: 'client_credentials' }).expect(401, INVALID_CLIENT);
      await sut.http().post('/token').set({ authorization: basic, 'x-forwarded-for': '2001:db8::1' }).type('form').send({ grant_type: 'client_credentials' }).expect(200);
    });

    it('passes /verify from an allowed address, by X-API-Key or Bearer, and answers 403 access_denied from any other', async () => {
      for (const credential of [{ 'x-api-key': key.key }, bearer(key.key)]) {
        await verify(credential, { 'x-forwarded-for': '10.1.2.3' }).expect(204);
        await verify(credential, { 'x-forwarded-for': '2001:db8::5' }).expect(204);
        for (const from of ['2001:db9::1', '192.0.2.1']) {
          const res = await verify(credential, { 'x-forwarded-for': from });
          expect([res.status, res.body, res.headers['www-authenticate']]).toEqual([403, ACCESS_DENIED, 'Bearer realm="tessera"']);
        }
      }
      // A wrong secret is still a wrong secret, wherever it comes from.
      const wrong = `${key.key.slice(0, -4)}AAAA`;
      await verify({ 'x-api-key': wrong }, { 'x-forwarded-for': '2001:db9::1' }).expect(401);
      await verify({ 'x-api-key': wrong }, { 'x-forwarded-for': '10.1.2.3' }).expect(401);
    });

    it('takes the proxy’s X-Real-IP at /verify over X-Forwarded-For', async () => {
      await verify({ 'x-api-key': key.key }, { 'x-forwarded-for': '2001:db9::1', 'x-real-ip': '10.9.9.9' }).expect(204);
      await verify({ 'x-api-key': key.key }, { 'x-forwarded-for': '10.1.2.3', 'x-real-ip': '2001:db9::1' }).expect(403, ACCESS_DENIED);
      await verify({ 'x-api-key': key.key }, { 'x-real-ip': '2001:db8::7' }).expect(204);
      await verify({ 'x-api-key': key.key }, { 'x-real-ip': 'garbage' }).expect(403, ACCESS_DENIED);
    });

    it('leaves a key without allowedIps usable from anywhere', async () => {
      const res = await createKey({}).expect(201);
      expect(res.body.allowedIps).toBeNull();
      await token(res.body.id, res.body.key, '2001:db9::1').expect(200);
      await verify({ 'x-api-key': res.body.key }, { 'x-forwarded-for': '203.0.113.5' }).expect(204);
      const withNull = await createKey({ allowedIps: null }).expect(201);
      expect(withNull.body.allowedIps).toBeNull();
    });
  });

  describe('a confidential client', () => {
    it('authenticates only from its addresses, at every grant and at /introspect, and PATCH changes them', async () => {
      const created = await createClient({ grantTypes: ['client_credentials', 'password'], allowedIps: ['10.0.0.0/8'] }).expect(201);
      const { id, clientId, clientSecret } = created.body;
      expect(created.body.allowedIps).toEqual(['10.0.0.0/8']);
      await token(clientId, clientSecret, '10.0.0.1').expect(200);
      await token(clientId, clientSecret, '2001:db8::5').expect(401, INVALID_CLIENT);
      // The password grant authenticates the client first: refused before any user is looked at.
      const password = await sut.http().post('/token').set('x-forwarded-for', '192.0.2.1').type('form').send({ grant_type: 'password', client_id: clientId, client_secret: clientSecret, username: 'nobody', password: 'whatever-it-is' });
      expect([password.status, password.body]).toEqual([401, INVALID_CLIENT]);
      const introspect = (from: string) => sut.http().post('/introspect').set('x-forwarded-for', from).type('form').send({ client_id: clientId, client_secret: clientSecret, token: 'x' });
      await introspect('192.0.2.1').expect(401, INVALID_CLIENT);
      await introspect('10.0.0.1').expect(200, { active: false });

      const patched = await sut.http().patch(admin(`/clients/${id}`)).set(bearer(platform)).send({ allowedIps: ['2001:db8::/32', '192.0.2.1'] }).expect(200);
      expect(patched.body.allowedIps).toEqual(['2001:db8::/32', '192.0.2.1']);
      await token(clientId, clientSecret, '10.0.0.1').expect(401, INVALID_CLIENT);
      await token(clientId, clientSecret, '2001:db8::5').expect(200);
      await token(clientId, clientSecret, '192.0.2.1').expect(200);
      const cleared = await sut.http().patch(admin(`/clients/${id}`)).set(bearer(platform)).send({ allowedIps: null }).expect(200);
      expect(cleared.body.allowedIps).toBeNull();
      await token(clientId, clientSecret, '203.0.113.1').expect(200);

      expect(await auditDetails(id, 'client.created')).toEqual([{ details: expect.objectContaining({ allowedIps: ['10.0.0.0/8'] }) }]);
      expect(await auditDetails(id, 'client.updated')).toEqual([
        { details: { clientId, changed: ['allowedIps'], allowedIps: ['2001:db8::/32', '192.0.2.1'] } },
        { details: { clientId, changed: ['allowedIps'], allowedIps: null } },
      ]);
    });
  });

  describe('validation', () => {
    const fields = (res: { body: { errors: { field: string; message: string }[] } }) => res.body.errors;
    const NOT_A_CIDR = { field: 'allowedIps', message: 'each value must be an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32' };

    it('refuses an entry that is no CIDR, an empty list and a list that is no list, naming allowedIps', async () => {
      for (const bad of [['10.0.0.0/33'], ['2001:db8::/129'], ['10.0.0/8'], ['10.0.0.0/8', 'example.com'], ['fe80::1%eth0'], [' 10.0.0.1']]) {
        const res = await createKey({ allowedIps: bad }).expect(400);
        expect([bad, fields(res)]).toEqual([bad, [NOT_A_CIDR]]);
        expect([bad, fields(await createClient({ allowedIps: bad }).expect(400))]).toEqual([bad, [NOT_A_CIDR]]);
      }
      expect(fields(await createKey({ allowedIps: [] }).expect(400))).toEqual([{ field: 'allowedIps', message: 'must not be empty (null allows any address)' }]);
      expect(fields(await createKey({ allowedIps: '10.0.0.0/8' }).expect(400)).map((e) => e.field)).toEqual(expect.arrayContaining(['allowedIps']));
      expect(fields(await createKey({ allowedIps: [10] }).expect(400)).map((e) => e.field)).toEqual(expect.arrayContaining(['allowedIps']));
      const many = Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`);
      expect(fields(await createKey({ allowedIps: many }).expect(400)).map((e) => e.field)).toEqual(['allowedIps']);
    });

    it('refuses allowedIps on a public client, on create and on PATCH', async () => {
      const pub = { type: 'public', grantTypes: ['password'] };
      const onlyConfidential = [{ field: 'allowedIps', message: 'only a confidential client can be restricted by address' }];
      expect(fields(await createClient({ ...pub, allowedIps: ['10.0.0.0/8'] }).expect(400))).toEqual(onlyConfidential);
      const created = await createClient({ ...pub, allowedIps: null }).expect(201);
      expect(created.body.allowedIps).toBeNull();
      const patch = await sut.http().patch(admin(`/clients/${created.body.id}`)).set(bearer(platform)).send({ allowedIps: ['10.0.0.0/8'] }).expect(400);
      expect(fields(patch)).toEqual(onlyConfidential);
      await sut.http().patch(admin(`/clients/${created.body.id}`)).set(bearer(platform)).send({ allowedIps: null }).expect(200);
    });
  });
});

/** Without TRUST_PROXY, X-Forwarded-For and X-Real-IP are the caller's own writing: only the peer counts. */
describe('allowedIps without TRUST_PROXY', () => {
  let sut: TestApp;
  let platform: string;
  let tenant: AdminTenant;

  beforeAll(async () => {
    sut = await createTestApp({ THROTTLE_PER_SUBJECT: '1000/60s' });
    platform = await platformToken(sut);
    tenant = await createTenantViaApi(sut, platform, { scopes: ['models:list'] });
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('judges the peer address, ignoring forwarding headers', async () => {
    const create = (allowedIps: string[]) =>
      sut.http().post(`/admin/tenants/${tenant.id}/api-keys`).set(bearer(platform)).send({ name: 'k', scopes: ['models:list'], allowedIps }).expect(201);
    const forged = { 'x-forwarded-for': '10.1.2.3', 'x-real-ip': '10.1.2.3' };
    const verify = (key: string) => sut.http().get('/verify').set({ 'x-original-method': 'GET', 'x-original-uri': '/v1/models', 'x-api-key': key, ...forged });
    const token = (id: string, key: string) => sut.http().post('/token').set(forged).type('form').send({ grant_type: 'client_credentials', client_id: id, client_secret: key });

    const elsewhere = (await create(['10.0.0.0/8'])).body;
    await verify(elsewhere.key).expect(403, ACCESS_DENIED);
    await token(elsewhere.id, elsewhere.key).expect(401, INVALID_CLIENT);
    // The test's own connection is loopback, IPv4 or IPv4-mapped IPv6 depending on the listener.
    const loopback = (await create(['127.0.0.1/32'])).body;
    await verify(loopback.key).expect(204);
    await token(loopback.id, loopback.key).expect(200);
  });
});
