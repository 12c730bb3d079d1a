import { createTenantViaApi, createUserViaApi, platformToken, type AdminTenant } from './support/admin';
import { consoleLogin, type ConsoleAgent } from './support/console';
import { createTestApp, TEST_ADMIN_PASSWORD, type TestApp } from './support/test-app';

const PROBLEM_403 = { type: 'about:blank', title: 'Forbidden', status: 403, detail: expect.any(String) };

describe('console: HTTP-level security', () => {
  let sut: TestApp;
  let platform: ConsoleAgent;
  let tenant: AdminTenant;
  let other: AdminTenant;
  let tenantAdmin: ConsoleAgent;

  beforeAll(async () => {
    // An https issuer: the session cookie must then be __Host- and Secure.
    sut = await createTestApp({ ISSUER: 'https://tessera.test' });
    const token = await platformToken(sut);
    tenant = await createTenantViaApi(sut, token);
    other = await createTenantViaApi(sut, token);
    const admin = await createUserViaApi(sut, token, tenant.id, ['admin:tenant']);
    platform = await consoleLogin(sut, 'admin', TEST_ADMIN_PASSWORD);
    tenantAdmin = await consoleLogin(sut, admin.username, admin.password, tenant.slug);
  });

  afterAll(async () => {
    await sut.close();
  });

  const keysPath = (t: AdminTenant) => `/console/tenants/${t.id}/api-keys`;

  it('sets the session cookie __Host-, HttpOnly, Secure, SameSite=Strict, Path=/, and never a token', () => {
    const session = platform.setCookies.find((c) => c.startsWith('__Host-tessera-console='))!;
    expect(session.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict', 'Secure']);
    expect(platform.setCookies.join(' ')).not.toMatch(/eyJ/);
  });

  it('answers every console page, the login form and errors included, with its strict CSP and no-store', async () => {
    for (const [path, cookie, status] of [
      ['/console/login', '', 200],
      [keysPath(tenant), platform.cookie, 200],
      ['/console/tenants', platform.cookie, 200],
      ['/console/nowhere', platform.cookie, 404],
      [keysPath(other), tenantAdmin.cookie, 404],
    ] as const) {
      const res = await sut.http().get(path).set('cookie', cookie).expect(status);
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
      );
      expect(res.headers['cache-control']).toBe('no-store');
    }
    const page = await sut.http().get(keysPath(tenant)).set('cookie', platform.cookie).expect(200);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=/i);
  });

  it('sends a page without a session to the login form', async () => {
    const res = await sut.http().get(keysPath(tenant)).expect(303);
    expect(res.headers.location).toBe('/console/login');
  });

  it('refuses a write without the CSRF token, with a wrong one, or with a foreign Origin: 403 problem+json', async () => {
    const post = (body: Record<string, string>, origin?: string) => {
      const req = sut.http().post(keysPath(tenant)).set('cookie', platform.cookie).type('form');
      return (origin ? req.set('origin', origin) : req).send(body);
    };
    for (const res of [
      await post({ name: 'no-csrf', scopes: 'models:list' }),
      await post({ name: 'bad-csrf', scopes: 'models:list', _csrf: 'x'.repeat(43) }),
      await post({ name: 'foreign', scopes: 'models:list', _csrf: platform.csrf }, 'https://evil.example'),
    ]) {
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual(PROBLEM_403);
    }
    const login = await sut.http().post('/console/login').type('form').send({ username: 'admin', password: TEST_ADMIN_PASSWORD });
    expect(login.status).toBe(403);
    const list = await sut.http().get(keysPath(tenant)).set('cookie', platform.cookie).expect(200);
    expect(list.text).not.toMatch(/no-csrf|bad-csrf|foreign/);
    // The same write with the token and this service's own Origin goes through.
    await post({ name: 'good', scopes: 'models:list', _csrf: platform.csrf }, 'https://tessera.test').expect(303);
  });

  it('keeps a tenant admin inside its tenant: another tenant is 404, signing keys and tenants are 403', async () => {
    await sut.http().get(keysPath(tenant)).set('cookie', tenantAdmin.cookie).expect(200);
    for (const path of [keysPath(other), `/console/tenants/${other.id}/users`]) {
      await sut.http().get(path).set('cookie', tenantAdmin.cookie).expect(404);
    }
    const write = await sut.http().post(keysPath(other)).set('cookie', tenantAdmin.cookie).type('form').send({ _csrf: tenantAdmin.csrf, name: 'x', scopes: 'models:list' });
    expect(write.status).toBe(404);
    for (const path of ['/console/keys', '/console/tenants']) {
      const res = await sut.http().get(path).set('cookie', tenantAdmin.cookie).expect(403);
      expect(res.body).toEqual(PROBLEM_403);
    }
  });

  it('shows a tenant admin only the audit events of its own tenant; naming another tenant is 404', async () => {
    const audit = await sut.http().get('/console/audit').set('cookie', tenantAdmin.cookie).expect(200);
    expect(audit.text).toContain(tenant.id);
    expect(audit.text).not.toContain(other.id);
    expect(audit.text).not.toContain('name="tenant_id"');
    await sut.http().get('/console/audit').query({ tenant_id: other.id }).set('cookie', tenantAdmin.cookie).expect(404);
    const exported = await sut.http().get('/console/audit/export.ndjson').set('cookie', tenantAdmin.cookie).expect(200);
    const tenants = new Set(exported.text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).tenantId));
    expect([...tenants].every((t) => t === tenant.id)).toBe(true);
    const all = await sut.http().get('/console/audit/export.ndjson').set('cookie', platform.cookie).expect(200);
    expect(all.text).toContain(other.id);
  });

  it('logs out by revoking the refresh family: the cookie stops working', async () => {
    const agent = await consoleLogin(sut, 'admin', TEST_ADMIN_PASSWORD);
    await sut.http().post('/console/logout').set('cookie', agent.cookie).type('form').send({ _csrf: agent.csrf }).expect(303);
    await sut.http().get(keysPath(tenant)).set('cookie', agent.cookie).expect(303);
    const [row] = await sut.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'token.revoked' AND details->>'token_type' = 'refresh_token'`);
    expect(row.n).toBeGreaterThanOrEqual(1);
  });
});
