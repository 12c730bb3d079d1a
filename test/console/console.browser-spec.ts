/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page } from 'playwright-core';
import { createTenantViaApi, createUserViaApi, platformToken, type AdminTenant } from '../support/admin';
import { TEST_ADMIN_PASSWORD } from '../support/test-app';
import { logIn, seriousViolations, startHarness, type ConsoleHarness } from './browser';

/** Issue #15 in a real Chromium: every screen as an operator uses it. */
describe('console in Chromium', () => {
  let h: ConsoleHarness;
  let page: Page;
  let tenant: AdminTenant;
  let other: AdminTenant;
  let tenantAdmin: { username: string; password: string };
  const scanned = new Map<string, string[]>();

  beforeAll(async () => {
    h = await startHarness();
    const token = await platformToken(h.app);
    tenant = await createTenantViaApi(h.app, token, { scopes: ['models:list', 'ocr:infer'] });
    other = await createTenantViaApi(h.app, token);
    tenantAdmin = await createUserViaApi(h.app, token, tenant.id, ['admin:tenant']);
    page = await h.newPage();
    await logIn(page, 'admin', TEST_ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await h?.close();
  });

  /** axe-core on the page as it is now, remembered per screen. */
  const scan = async (screen: string) => scanned.set(screen, await seriousViolations(page));
  const clientCredentials = (id: string, key: string) =>
    h.app.http().post('/token').type('form').send({ grant_type: 'client_credentials', client_id: id, client_secret: key, scope: 'ocr:infer' });
  const keysUrl = (t: AdminTenant) => `/console/tenants/${t.id}/api-keys`;

  it('API keys: create one, see it once, reload and find it gone; it works at /token until revoked here', async () => {
    await page.goto(keysUrl(tenant));
    await scan('api keys');
    await page.getByLabel('Name').fill('ocr-worker');
    await page.getByLabel('ocr:infer').check();
    await Promise.all([page.waitForURL(keysUrl(tenant)), page.getByRole('button', { name: 'Create API key' }).click()]);
    const key = await page.getByRole('textbox', { name: /^API key/ }).inputValue();
    expect(key).toMatch(/^tsk_/);
    await scan('api keys, new key shown');
    if (process.env.CONSOLE_SCREENSHOT) {
      mkdirSync(dirname(process.env.CONSOLE_SCREENSHOT), { recursive: true });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: false });
    }
    const id = (await page.getByRole('row', { name: /ocr-worker/ }).locator('td.mono').last().textContent())!.trim();

    await page.reload();
    expect(await page.content()).not.toContain(key);
    expect(await page.getByRole('textbox', { name: /^API key/ }).count()).toBe(0);

    const ok = await clientCredentials(id, key);
    expect(ok.status).toBe(200);

    await page.getByRole('checkbox', { name: 'Select ocr-worker' }).check();
    await Promise.all([page.waitForURL(keysUrl(tenant)), page.getByRole('button', { name: 'Revoke selected' }).click()]);
    await page.getByText('Revoked 1 API key.').waitFor();
    expect(await page.getByRole('row', { name: /ocr-worker/ }).getByText('revoked').count()).toBe(1);
    const refused = await clientCredentials(id, key);
    expect(refused.status).toBe(401);
  });

  it('users: create one (policy shown), see its session, revoke it, disable it and see its login refused', async () => {
    const usersUrl = `/console/tenants/${tenant.id}/users`;
    await page.goto(usersUrl);
    expect(await page.getByText(/At least 12 characters/).first().isVisible()).toBe(true);
    await page.getByLabel('Username', { exact: true }).fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Password', { exact: true }).evaluate((el) => el.removeAttribute('minlength'));
    await Promise.all([page.waitForURL(usersUrl), page.getByRole('button', { name: 'Create user' }).click()]);
    expect(await page.getByRole('alert').textContent()).toContain('password: must have at least 12 characters');
    await page.getByLabel('Username', { exact: true }).fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('carol-password-1');
    await page.getByLabel('models:list').check();
    await Promise.all([page.waitForURL(/\/users\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Create user' }).click()]);
    await page.getByText('User "carol" created.').waitFor();
    const login = () =>
      h.app.http().post('/token').type('form').send({ grant_type: 'password', client_id: tenant.defaultClient.clientId, username: 'carol', password: 'carol-password-1' });
    expect((await login()).status).toBe(200);
    await page.reload();
    expect(await page.getByRole('row', { name: tenant.defaultClient.clientId }).count()).toBe(1);
    await scan('user');
    await Promise.all([page.waitForURL(/\/users\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Revoke all sessions' }).click()]);
    await page.getByText('Revoked 1 session.').waitFor();
    expect(await page.getByText('No live sessions.').count()).toBe(1);
    await Promise.all([page.waitForURL(/\/users\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Disable user' }).click()]);
    await page.getByText('User disabled; its sessions were revoked.').waitFor();
    const refused = await login();
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');

    await page.goto(`${usersUrl}?q=CA`);
    expect(await page.getByRole('link', { name: 'carol' }).count()).toBe(1);
    await scan('users');
    await page.goto(`${usersUrl}?q=zz`);
    expect(await page.getByText('No users match.').count()).toBe(1);
  });

  it('clients: create one (secret shown once), rotate its secret, delete it', async () => {
    const clientsUrl = `/console/tenants/${tenant.id}/clients`;
    await page.goto(clientsUrl);
    await page.getByLabel('Name').fill('batch-ocr');
    await page.getByLabel('client_credentials').check();
    await page.locator('#client-scope-1').check();
    await Promise.all([page.waitForURL(clientsUrl), page.getByRole('button', { name: 'Create client' }).click()]);
    const secretBox = page.getByRole('textbox', { name: /^Client secret/ });
    const secret = await secretBox.inputValue();
    const clientId = /client_id (\S+)\)/.exec((await page.locator('label[for="secret-value"]').textContent())!)![1];
    await scan('clients, new secret shown');
    const asClient = (s: string) => h.app.http().post('/token').type('form').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: s });
    expect((await asClient(secret)).status).toBe(200);
    await page.reload();
    expect(await secretBox.count()).toBe(0);
    await Promise.all([page.waitForURL(clientsUrl), page.getByRole('button', { name: 'Rotate secret batch-ocr' }).click()]);
    const rotated = await secretBox.inputValue();
    expect(rotated).not.toBe(secret);
    expect((await asClient(secret)).status).toBe(401);
    expect((await asClient(rotated)).status).toBe(200);
    await Promise.all([page.waitForURL(clientsUrl), page.getByRole('button', { name: 'Delete batch-ocr' }).click()]);
    await page.getByText('Client deleted.').waitFor();
    expect((await asClient(rotated)).status).toBe(401);
    await scan('clients');
  });

  it('signing keys: rotate behind a confirmation and see next → current → retired', async () => {
    await page.goto('/console/keys');
    const kidIn = async (state: string) => (await page.locator(`tr:has(span.state.${state}) th`).first().textContent())!.trim();
    const [next, current] = [await kidIn('next'), await kidIn('current')];
    await scan('signing keys');
    await Promise.all([page.waitForURL('**/console/keys/rotate'), page.getByRole('link', { name: 'Rotate now…' }).click()]);
    expect(await page.locator('main').textContent()).toContain('Live tokens keep working');
    await scan('rotate confirmation');
    await Promise.all([page.waitForURL(/\/console\/keys$/), page.getByRole('button', { name: 'Rotate the signing key' }).click()]);
    await page.getByText(`Rotated: ${next} signs from now on.`).waitFor();
    const state = async (kid: string) => (await page.locator(`tr[data-kid="${kid}"] span.state`).textContent())!.trim();
    expect([await state(next), await state(current)]).toEqual(['current', 'retired']);
    expect(await kidIn('next')).not.toBe(next);

    await page.getByRole('link', { name: `Revoke key ${current}` }).click();
    expect(await page.locator('main').textContent()).toContain('Every live token it signed stops working');
    await scan('revoke confirmation');
    await Promise.all([page.waitForURL(/\/console\/keys$/), page.getByRole('button', { name: `Revoke key ${current}` }).click()]);
    expect(await state(current)).toBe('revoked');
  });

  it('audit: filters kept in the URL, and the NDJSON export of the filtered set', async () => {
    await page.goto('/console/audit');
    await page.getByLabel('Action').fill('api_key.created');
    await Promise.all([page.waitForURL(/action=api_key.created/), page.getByRole('button', { name: 'Apply filters' }).click()]);
    expect(await page.getByLabel('Action').inputValue()).toBe('api_key.created');
    const rows = page.locator('tbody tr th.mono');
    expect(new Set(await rows.allTextContents())).toEqual(new Set(['api_key.created']));
    expect(await rows.count()).toBe(1);
    await scan('audit');
    const href = await page.getByRole('link', { name: /Export the filtered events/ }).getAttribute('href');
    const exported = await page.request.get(href!);
    expect(exported.headers()['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = (await exported.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.action)).toEqual(['api_key.created']);
    expect(JSON.stringify(lines)).not.toMatch(/tsk_/);
  });

  it('tenants: create one, change its settings, suspend and reactivate it', async () => {
    const slug = `acme-${Date.now().toString(36)}`;
    await page.goto('/console/tenants');
    await page.getByLabel('Slug').fill(slug);
    await page.getByLabel('Name').fill('Acme');
    await Promise.all([page.waitForURL(/\/console\/tenants$/), page.getByRole('button', { name: 'Create tenant' }).click()]);
    await page.getByText(`Tenant "${slug}" created`).waitFor();
    await scan('tenants');
    await Promise.all([page.waitForURL(/\/settings$/), page.getByRole('link', { name: `Settings of ${slug}` }).click()]);
    await page.getByLabel('Access token').fill('600');
    await page.getByLabel('Per subject per minute').fill('100');
    await Promise.all([page.waitForURL(/\/settings$/), page.getByRole('button', { name: 'Save settings' }).click()]);
    await page.getByText('Settings saved.').waitFor();
    expect(await page.getByLabel('Access token').inputValue()).toBe('600');
    expect(await page.getByLabel('Per subject per minute').inputValue()).toBe('100');
    await scan('tenant settings');
    await Promise.all([page.waitForURL(/\/settings$/), page.getByRole('button', { name: 'Suspend tenant' }).click()]);
    await page.getByText('Tenant suspended.').waitFor();
    await Promise.all([page.waitForURL(/\/settings$/), page.getByRole('button', { name: 'Reactivate tenant' }).click()]);
    await page.getByText('Tenant reactivated.').waitFor();
  });

  it('keyboard only: creates an API key with Tab, Space and Enter, focus always visible', async () => {
    await page.goto(keysUrl(tenant));
    const focusIs = async (selector: string) => page.evaluate((s) => document.activeElement === document.querySelector(s), selector);
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('Tab');
        const outline = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return el && el !== document.body ? `${getComputedStyle(el).outlineStyle} ${el.outerHTML.slice(0, 80)}` : 'n/a';
        });
        expect(outline).not.toMatch(/^none/);
        if (await focusIs(selector)) return;
      }
      throw new Error(`Tab never reached ${selector}`);
    };
    await tabTo('#key-name');
    await page.keyboard.type('keyboard-key');
    await tabTo('input[name="scopes"][value="models:list"]');
    await page.keyboard.press('Space');
    await tabTo('form[action$="/api-keys"] button[type="submit"]');
    await Promise.all([page.waitForURL(keysUrl(tenant)), page.keyboard.press('Enter')]);
    expect(await page.getByRole('textbox', { name: /^API key/ }).inputValue()).toMatch(/^tsk_/);
    expect(await page.getByRole('row', { name: /keyboard-key/ }).getByText('models:list').count()).toBe(1);
  });

  it('themes: follows the system until the user picks light or dark', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(keysUrl(tenant));
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBeUndefined();
    expect(await background()).toBe('rgb(13, 17, 23)');
    await page.getByLabel('Theme').selectOption('light');
    await Promise.all([page.waitForURL(keysUrl(tenant)), page.getByRole('button', { name: 'Apply' }).click()]);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(await background()).toBe('rgb(255, 255, 255)');
    await scan('api keys, light theme on a dark system');
    await page.getByLabel('Theme').selectOption('dark');
    await Promise.all([page.waitForURL(keysUrl(tenant)), page.getByRole('button', { name: 'Apply' }).click()]);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(13, 17, 23)');
    await scan('api keys, dark theme');
    await page.getByLabel('Theme').selectOption('system');
    await Promise.all([page.waitForURL(keysUrl(tenant)), page.getByRole('button', { name: 'Apply' }).click()]);
  });

  it('security: cookie flags, CSRF and Origin refusals as 403 problem+json', async () => {
    const cookies = await h.context.cookies();
    const session = cookies.find((c) => c.name === '__Host-tessera-console')!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(cookies.some((c) => c.value.startsWith('eyJ'))).toBe(false);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)).not.toMatch(/eyJ|tessera-console=/);

    // page.request carries the browser's cookies; the first POST has no CSRF token at all.
    const noToken = await page.request.post(keysUrl(tenant), { form: { name: 'forged', scopes: 'models:list' } });
    expect(noToken.status()).toBe(403);
    expect(noToken.headers()['content-type']).toMatch(/^application\/problem\+json/);
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const foreign = await page.request.post(keysUrl(tenant), { form: { name: 'forged', scopes: 'models:list', _csrf: csrf }, headers: { origin: 'https://evil.example' } });
    expect(foreign.status()).toBe(403);
    expect(await foreign.json()).toMatchObject({ status: 403, title: 'Forbidden' });
  });

  it('a tenant admin sees its own tenant only: another tenant 404, signing keys and tenants 403', async () => {
    const other$ = await h.context.browser()?.newContext({ baseURL: h.base });
    const tenantPage = other$ ? await other$.newPage() : await h.newPage();
    try {
      await logIn(tenantPage, tenantAdmin.username, tenantAdmin.password, tenant.slug);
      expect(tenantPage.url()).toContain(keysUrl(tenant));
      expect(await tenantPage.getByRole('link', { name: 'Signing keys' }).count()).toBe(0);
      for (const path of [keysUrl(other), `/console/tenants/${other.id}/users`]) {
        expect((await tenantPage.goto(path))!.status()).toBe(404);
      }
      for (const path of ['/console/keys', '/console/tenants']) {
        expect((await tenantPage.goto(path))!.status()).toBe(403);
      }
    } finally {
      await tenantPage.close();
    }
  });

  it('quotas: the limits and the latest 429s of a tenant, reached from the navigation', async () => {
    await page.goto(keysUrl(tenant));
    await Promise.all([page.waitForURL(/\/quotas$/), page.getByRole('link', { name: 'Quotas' }).click()]);
    await page.getByRole('heading', { name: 'Recent 429s' }).waitFor();
    await scan('quotas');
  });

  it('every screen passes axe-core with no serious or critical violation, and no page broke its CSP', async () => {
    const login = await h.newPage();
    await login.goto('/console/login');
    scanned.set('login', await seriousViolations(login));
    await login.close();
    for (const [screen, violations] of scanned) expect({ screen, violations }).toEqual({ screen, violations: [] });
    expect(h.cspViolations).toEqual([]);
    expect(h.pagesWithoutCsp).toEqual([]);
  });
});
