/// <reference lib="dom" />
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createTestDatabase } from '../support/test-database';
import { freePort, startApp, testConfig, type TestApp } from '../support/test-app';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface ConsoleHarness {
  readonly app: TestApp;
  readonly base: string;
  readonly context: BrowserContext;
  /** Every CSP violation the browser reported, on any page, during the whole run. */
  readonly cspViolations: string[];
  /** Console pages answered without the console's CSP header. */
  readonly pagesWithoutCsp: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * The real app listening on a free port of 127.0.0.1 on its own database, and a headless
 * Chromium with a fresh profile. The issuer is https (as in production) while the browser
 * reaches the service over http://localhost, which Chromium treats as a secure context, so the
 * session cookie is the production one: __Host-, Secure.
 */
export async function startHarness(): Promise<ConsoleHarness> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const db = await createTestDatabase();
  const app = await startApp(testConfig(db, { ISSUER: `https://localhost:${port}` }));
  await app.app.listen({ port, host: '127.0.0.1' });
  const profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, baseURL: base });
  const cspViolations: string[] = [];
  const pagesWithoutCsp: string[] = [];
  // Reported by the page itself, whatever the console message's wording.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (/Content Security Policy|CSP violation/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
    });
    page.on('response', async (r) => {
      const url = new URL(r.url());
      if (r.request().resourceType() === 'document' && url.pathname.startsWith('/console') && !(await r.headerValue('content-security-policy'))) {
        pagesWithoutCsp.push(url.pathname);
      }
    });
  };
  context.on('page', watch);
  return {
    app,
    base,
    context,
    cspViolations,
    pagesWithoutCsp,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
      await app.close();
      await db.drop();
    },
  };
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core run in the page (evaluated, not a <script>, so the CSP stays as it is). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
}

export async function logIn(page: Page, username: string, password: string, tenant = ''): Promise<void> {
  await page.goto('/console/login');
  await page.getByLabel('Tenant').fill(tenant);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL(/\/console\/tenants/), page.getByRole('button', { name: 'Log in' }).click()]);
}
