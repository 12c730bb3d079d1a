import { connect } from 'node:net';
import request from 'supertest';
import { listen } from '../src/app.factory';
import { bearer, platformToken } from './support/admin';
import { createTestApp, freePort, type TestApp } from './support/test-app';

const notFound = (method: string, url: string) => ({ type: 'about:blank', title: 'Not Found', status: 404, detail: `Cannot ${method} ${url}` });

/** Whether anything accepts connections on the port. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    socket.once('connect', () => socket.destroy());
  });

describe('ADMIN_LISTEN', () => {
  let sut: TestApp;
  let closed = false;
  let adminPort: number;
  let platform: string;
  const publicPort = () => request(`http://127.0.0.1:${sut.config.port}`);
  const adminSide = () => request(`http://127.0.0.1:${adminPort}`);

  beforeAll(async () => {
    const port = await freePort();
    adminPort = await freePort();
    sut = await createTestApp({ PORT: String(port), ADMIN_LISTEN: `127.0.0.1:${adminPort}` });
    await listen(sut.app, sut.config);
    platform = await platformToken(sut);
  });

  afterAll(async () => {
    if (!closed) await sut.close();
  });

  it('serves /admin on the admin listener only; the public port answers as for an unknown route', async () => {
    await adminSide().get('/admin/tenants').set(bearer(platform)).expect(200);
    await adminSide().get('/admin/tenants').expect(401);

    const refused = await publicPort().get('/admin/tenants').set(bearer(platform)).expect(404);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toEqual(notFound('GET', '/admin/tenants'));
    const unknown = await publicPort().get('/no/such/route').expect(404);
    expect(unknown.body).toEqual(notFound('GET', '/no/such/route'));

    const body = { slug: 'never', name: 'Never' };
    await publicPort().post('/admin/tenants').set(bearer(platform)).send(body).expect(404);
    await publicPort().get('/admin/keys?limit=1').set(bearer(platform)).expect(404);
    // A percent-encoded spelling reaches the same route (see the admin side), and is refused too.
    await adminSide().get('/%61dmin/tenants').set(bearer(platform)).expect(200);
    await publicPort().get('/%61dmin/tenants').set(bearer(platform)).expect(404);
    expect(await sut.dataSource.query(`SELECT 1 FROM tenants WHERE slug = 'never'`)).toEqual([]);
  });

  it('serves /metrics beside the admin API, not on the public port (contract 3)', async () => {
    const res = await adminSide().get('/metrics').expect(200);
    expect(res.text).toContain('tessera_http_requests_total');
    await publicPort().get('/metrics').expect(404);
  });

  it('serves nothing but /admin and /metrics on the admin listener', async () => {
    const token = await adminSide().post('/token').type('form').send({ grant_type: 'password', client_id: 'admin-cli', username: 'admin', password: 'x' }).expect(404);
    expect(token.body).toEqual(notFound('POST', '/token'));
    for (const path of ['/.well-known/jwks.json', '/health/ready', '/me', '/docs', '/docs-json']) {
      await adminSide().get(path).expect(404);
    }
    await publicPort().get('/health/ready').expect(200);
    await publicPort().get('/.well-known/jwks.json').expect(200);
  });

  it('answers malformed HTTP on the admin port as Fastify does on the public one', async () => {
    const answer = (port: number) =>
      new Promise<string>((resolve, reject) => {
        let data = '';
        const socket = connect(port, '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
        socket.on('data', (chunk) => (data += chunk.toString())).once('close', () => resolve(data)).once('error', reject);
      });
    const [onPublic, onAdmin] = [await answer(sut.config.port), await answer(adminPort)];
    expect(onAdmin).toMatch(/^HTTP\/1\.1 400/);
    expect(onAdmin.split('\r\n\r\n')[1]).toBe(onPublic.split('\r\n\r\n')[1]);
  });

  it('still documents the /admin routes at /docs on the public port, saying where they are served', async () => {
    const res = await publicPort().get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/admin/tenants', '/admin/keys', '/token']));
    expect(res.body.info.description).toContain('ADMIN_LISTEN');
  });

  it('closes both listeners with the app', async () => {
    expect(await accepts(adminPort)).toBe(true);
    await sut.close();
    closed = true;
    expect(await accepts(adminPort)).toBe(false);
    expect(await accepts(sut.config.port)).toBe(false);
  });
});
