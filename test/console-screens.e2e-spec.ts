import request from 'supertest';
import { listen } from '../src/app.factory';
import { createTenantViaApi, createUserViaApi, platformToken, type AdminTenant } from './support/admin';
import { consoleLogin, csrfOf, type ConsoleAgent } from './support/console';
import { createTestApp, freePort, TEST_ADMIN_PASSWORD, type TestApp } from './support/test-app';

describe('console over HTTP (http issuer)', () => {
  let sut: TestApp;
  let platform: ConsoleAgent;
  let token: string;
  let tenant: AdminTenant;

  beforeAll(async () => {
    sut = await createTestApp();
    token = await platformToken(sut);
    tenant = await createTenantViaApi(sut, token, { scopes: ['models:list'] });
    platform = await consoleLogin(sut, 'admin', TEST_ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await sut.close();
  });

  const keys = () => `/console/tenants/${tenant.id}/api-keys`;
  const loginWith = async (body: Record<string, string>) => {
    const form = await sut.http().get('/console/login').expect(200);
    const cookie = ([form.headers['set-cookie']].flat() as string[]).map((c) => c.split(';')[0]).join('; ');
    return sut.http().post('/console/login').set('cookie', cookie).type('form').send({ _csrf: csrfOf(form.text), ...body });
  };

  it('names the cookie without __Host- and without Secure when the issuer is http, other flags the same', () => {
    const session = platform.setCookies.find((c) => c.startsWith('tessera-console='))!;
    expect(session.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict']);
  });

  it('refuses a wrong password, an unknown tenant and a user who is no admin, with the same words for the first two', async () => {
    const user = await createUserViaApi(sut, token, tenant.id, ['models:list']);
    const wrong = await loginWith({ tenant: '', username: 'admin', password: 'not-the-password' });
    const unknown = await loginWith({ tenant: 'no-such-tenant', username: 'admin', password: TEST_ADMIN_PASSWORD });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.text).toContain('Wrong tenant, username or password, or the account is locked or disabled.');
      expect(res.headers['set-cookie'] ?? []).not.toEqual(expect.arrayContaining([expect.stringMatching(/^tessera-console=/)]));
    }
    const notAdmin = await loginWith({ tenant: tenant.slug, username: user.username, password: user.password });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.text).toContain('This account is not an administrator.');
    const [failed] = await sut.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'login.failed' AND target = 'admin'`);
    expect(failed.n).toBe(1);
    // Its session was revoked at once: the family the login made is gone.
    const live = await sut.http().get(`/admin/tenants/${tenant.id}/users/${user.id}/sessions`).set('authorization', `Bearer ${token}`).expect(200);
    expect(live.body.items).toEqual([]);
  });

  it('escapes what users typed wherever a page shows it', async () => {
    const name = `<img src=x onerror="alert(1)">&'`;
    await sut.http().post(keys()).set('cookie', platform.cookie).type('form').send({ _csrf: platform.csrf, name, scopes: 'models:list' }).expect(303);
    const page = await sut.http().get(keys()).set('cookie', platform.cookie).expect(200);
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;');
  });

  it('shows a new key once: the page after the create has it, the next one does not', async () => {
    await sut.http().post(keys()).set('cookie', platform.cookie).type('form').send({ _csrf: platform.csrf, name: 'once', scopes: 'models:list' }).expect(303);
    const first = await sut.http().get(keys()).set('cookie', platform.cookie).expect(200);
    const key = /id="secret-value"[^>]*value="(tsk_[^"]+)"/.exec(first.text)![1];
    const again = await sut.http().get(keys()).set('cookie', platform.cookie).expect(200);
    expect(again.text).not.toContain(key);
    expect(again.text).not.toContain('secret-value');
  });

  it('revokes several API keys at once, each with its audit event', async () => {
    const ids: string[] = [];
    for (const name of ['batch-a', 'batch-b']) {
      const res = await sut.http().post(`/admin/tenants/${tenant.id}/api-keys`).set('authorization', `Bearer ${token}`).send({ name, scopes: ['models:list'] }).expect(201);
      ids.push(res.body.id);
    }
    await sut.http().post(`${keys()}/revoke`).set('cookie', platform.cookie).type('form').send(`_csrf=${platform.csrf}&ids=${ids[0]}&ids=${ids[1]}`).expect(303);
    const page = await sut.http().get(keys()).set('cookie', platform.cookie).expect(200);
    expect(page.text).toContain('Revoked 2 API keys.');
    const events = await sut.dataSource.query(`SELECT target FROM audit_events WHERE action = 'api_key.revoked' AND target = ANY($1) ORDER BY target`, [ids]);
    expect(events.map((e: { target: string }) => e.target)).toEqual([...ids].sort());
    await sut.http().post(`${keys()}/revoke`).set('cookie', platform.cookie).type('form').send({ _csrf: platform.csrf, ids: 'not-a-uuid' }).expect(404);
  });

  it('creates a key with an expiry at the end of the chosen day (UTC), and pages the audit trail by keyset', async () => {
    await sut.http().post(keys()).set('cookie', platform.cookie).type('form').send({ _csrf: platform.csrf, name: 'expiring', scopes: 'models:list', expires: '2031-03-04' }).expect(303);
    const list = await sut.http().get(`/admin/tenants/${tenant.id}/api-keys?limit=200`).set('authorization', `Bearer ${token}`).expect(200);
    expect(list.body.items.find((k: { name: string }) => k.name === 'expiring').expiresAt).toBe('2031-03-04T23:59:59.000Z');

    for (let i = 0; i < 50; i++) {
      await sut.http().post(`/admin/tenants/${tenant.id}/api-keys`).set('authorization', `Bearer ${token}`).send({ name: `page-${i}`, scopes: ['models:list'] }).expect(201);
    }
    const rows = (html: string) => [...html.matchAll(/<th scope="row" class="mono">api_key.created<\/th>/g)].length;
    const first = await sut.http().get('/console/audit').query({ action: 'api_key.created', tenant_id: tenant.id }).set('cookie', platform.cookie).expect(200);
    expect(rows(first.text)).toBe(50);
    const next = /<a href="([^"]+)" rel="next">/.exec(first.text)![1].replace(/&amp;/g, '&');
    expect(next).toMatch(/action=api_key.created/);
    const second = await sut.http().get(next).set('cookie', platform.cookie).expect(200);
    const total = (await sut.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'api_key.created' AND tenant_id = $1`, [tenant.id]))[0].n;
    expect(rows(second.text)).toBe(total - 50);
    expect(second.text).not.toContain('rel="next"');
  });

  it('answers a bad form with the message on the next page, not an error page', async () => {
    await sut.http().post(keys()).set('cookie', platform.cookie).type('form').send({ _csrf: platform.csrf, name: 'x', scopes: 'chat:completions' }).expect(303);
    const page = await sut.http().get(keys()).set('cookie', platform.cookie).expect(200);
    expect(page.text).toMatch(/role="alert">scopes: not offered by the tenant: chat:completions</);
  });

  it('searches users by username prefix, case-insensitively, with LIKE wildcards taken literally', async () => {
    for (const username of ['Zed_1', 'zed%2', 'zedx3']) {
      await sut.http().post(`/admin/tenants/${tenant.id}/users`).set('authorization', `Bearer ${token}`).send({ username, password: `${username}-long-password`, scopes: [] }).expect(201);
    }
    const search = async (q: string) => {
      const res = await sut.http().get(`/console/tenants/${tenant.id}/users`).query({ q }).set('cookie', platform.cookie).expect(200);
      return [...res.text.matchAll(/<th scope="row"><a href="[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]).sort();
    };
    expect(await search('ZED')).toEqual(['Zed_1', 'zed%2', 'zedx3']);
    expect(await search('zed_')).toEqual(['Zed_1']);
    expect(await search('zed%')).toEqual(['zed%2']);
  });
});

describe('console with ADMIN_LISTEN', () => {
  let sut: TestApp;

  beforeAll(async () => {
    const adminPort = await freePort();
    sut = await createTestApp({ PORT: String(await freePort()), ADMIN_LISTEN: `127.0.0.1:${adminPort}` });
    await listen(sut.app, sut.config);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('is served on the admin listener only', async () => {
    await request(`http://127.0.0.1:${sut.config.adminListen!.port}`).get('/console/login').expect(200);
    await request(`http://127.0.0.1:${sut.config.port}`).get('/console/login').expect(404);
    await request(`http://127.0.0.1:${sut.config.port}`).get('/console/assets/console.css').expect(404);
  });
});

describe('console login throttling and lockout', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({ THROTTLE_PER_SUBJECT: '3/60s', LOCKOUT_AFTER: '2/15m' });
  });

  afterAll(async () => {
    await sut.close();
  });

  it('counts attempts per tenant and username like /token: the fourth within the window is 429 with Retry-After', async () => {
    const form = await sut.http().get('/console/login').expect(200);
    const cookie = ([form.headers['set-cookie']].flat() as string[]).map((c) => c.split(';')[0]).join('; ');
    const attempt = (username: string) =>
      sut.http().post('/console/login').set('cookie', cookie).type('form').send({ _csrf: csrfOf(form.text), tenant: '', username, password: 'wrong-password-1' });
    for (let i = 0; i < 3; i++) expect((await attempt('Nobody')).status).toBe(401);
    const throttled = await attempt('nobody');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt('someone-else')).status).toBe(401);
  });

  it('shows a locked user as locked, and Unlock lets it log in again', async () => {
    const token = await platformToken(sut);
    const tenant = await createTenantViaApi(sut, token);
    const user = await createUserViaApi(sut, token, tenant.id, []);
    const login = (password: string) =>
      sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: tenant.defaultClient.clientId, username: user.username, password });
    for (let i = 0; i < 2; i++) expect((await login('wrong-password-1')).status).toBe(400);
    const agent = await consoleLogin(sut, 'admin', TEST_ADMIN_PASSWORD);
    const page = `/console/tenants/${tenant.id}/users/${user.id}`;
    const locked = await sut.http().get(page).set('cookie', agent.cookie).expect(200);
    expect(locked.text).toContain('locked until');
    await sut.http().post(`${page}/unlock`).set('cookie', agent.cookie).type('form').send({ _csrf: agent.csrf }).expect(303);
    const unlocked = await sut.http().get(page).set('cookie', agent.cookie).expect(200);
    expect(unlocked.text).toContain('User unlocked.');
    expect(unlocked.text).not.toContain('locked until');
    expect((await login(user.password)).status).toBe(200);
  });
});
