import { RevocationCache } from '../src/verify/revocation-cache';
import { bearer, createTenantViaApi, createUserViaApi, platformToken, type AdminTenant } from './support/admin';
import { consoleLogin, type ConsoleAgent } from './support/console';
import { createTestApp, TEST_ADMIN_PASSWORD, type TestApp } from './support/test-app';

/** Issue 15, screen 7: a tenant's quotas and its latest 429s, seen by its admins only. */
describe('console: quotas and recent 429s', () => {
  let sut: TestApp;
  let token: string;
  let limited: AdminTenant;
  let other: AdminTenant;
  let platform: ConsoleAgent;
  let key: { id: string; key: string };

  beforeAll(async () => {
    sut = await createTestApp();
    token = await platformToken(sut);
    limited = await createTenantViaApi(sut, token, { scopes: ['models:list'] });
    other = await createTenantViaApi(sut, token, { scopes: ['models:list'] });
    await sut.http().patch(`/admin/tenants/${limited.id}`).set(bearer(token)).send({ settings: { quota: { perSubjectPerMinute: 2 } } }).expect(200);
    key = (await sut.http().post(`/admin/tenants/${limited.id}/api-keys`).set(bearer(token)).send({ name: 'worker', scopes: ['models:list'] }).expect(201)).body;
    await sut.app.get(RevocationCache).refresh();
    platform = await consoleLogin(sut, 'admin', TEST_ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await sut.close();
  });

  const page = (tenantId: string, agent: ConsoleAgent) => sut.http().get(`/console/tenants/${tenantId}/quotas`).set('cookie', agent.cookie);
  const verify = () => sut.http().get('/verify').set({ 'x-original-method': 'GET', 'x-original-uri': '/v1/models', 'x-api-key': key.key });

  it('shows the limits and each request refused 429, newest first, with the limit it reached', async () => {
    const before = await page(limited.id, platform).expect(200);
    expect(before.text).toContain('No request of this tenant was refused for a quota');
    expect(before.text).toMatch(/Per subject per minute<\/dt><dd>2 requests/);
    expect(before.text).toMatch(/Per tenant per minute<\/dt><dd><span class="muted">unlimited/);
    expect((await verify()).status).toBe(204);
    expect((await verify()).status).toBe(204);
    const refused = await verify();
    expect(refused.status).toBe(429);
    const after = await page(limited.id, platform).expect(200);
    expect(after.headers['content-security-policy']).toMatch(/^default-src 'self'/);
    const rows = after.text.match(/<tr><td><time[^]*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(`<td class="mono">${key.id}</td>`);
    expect(rows[0]).toContain('per subject per minute: 2');
    expect(rows[0]).toContain(`${refused.headers['retry-after']} s`);
    // Another tenant's page knows nothing of them.
    expect((await page(other.id, platform).expect(200)).text).toContain('No request of this tenant was refused');
  });

  it('is open to the tenant’s own admin and 404 to another tenant’s', async () => {
    const admin = await createUserViaApi(sut, token, other.id, ['admin:tenant']);
    const agent = await consoleLogin(sut, admin.username, admin.password, other.slug);
    const own = await page(other.id, agent).expect(200);
    expect(own.text).toContain('A platform admin sets them.');
    await page(limited.id, agent).expect(404);
  });
});
