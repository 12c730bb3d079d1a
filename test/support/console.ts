import type { TestApp } from './test-app';

/** A console session driven over HTTP as a browser would: cookies and the form's CSRF token. */
export interface ConsoleAgent {
  cookie: string;
  csrf: string;
  /** The set-cookie headers of the login's answer. */
  setCookies: string[];
}

const cookiePairs = (setCookies: string[]): string => setCookies.map((c) => c.split(';')[0]).join('; ');

export function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1];
}

export async function consoleLogin(app: TestApp, username: string, password: string, tenant = ''): Promise<ConsoleAgent> {
  const form = await app.http().get('/console/login').expect(200);
  const loginCookies = [form.headers['set-cookie']].flat() as string[];
  const res = await app
    .http()
    .post('/console/login')
    .set('cookie', cookiePairs(loginCookies))
    .type('form')
    .send({ _csrf: csrfOf(form.text), tenant, username, password });
  if (res.status !== 303) throw new Error(`console login of ${username} failed: ${res.status} ${res.text.slice(0, 300)}`);
  const setCookies = [res.headers['set-cookie']].flat() as string[];
  const session = setCookies.find((c) => /^(__Host-)?tessera-console=[^;]+/.test(c))!;
  const cookie = session.split(';')[0];
  const home = await app.http().get(res.headers.location).set('cookie', cookie);
  const page = home.status === 303 ? await app.http().get(home.headers.location).set('cookie', cookie) : home;
  return { cookie, csrf: csrfOf(page.text), setCookies };
}
