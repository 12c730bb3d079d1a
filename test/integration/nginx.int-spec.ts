// docker/nginx.conf itself, in Debian's nginx, between a live Tessera and a fake OpenAI-compatible
// model server: TLS, Tessera's public routes, the closed admin API, and auth_request through
// GET /verify with the RFC 6750 answers restored. Only addresses and paths of the file are
// replaced, and a replacement that finds nothing fails the suite, so this keeps testing the file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { createTenant, type TenantFixture } from '../support/fixtures';
import { createTestApp, freePort, TEST_ADMIN_PASSWORD, type TestApp } from '../support/test-app';

const NGINX = '/usr/sbin/nginx';
const CONF = join(__dirname, '../../docker/nginx.conf');
const HSTS = 'max-age=63072000; includeSubDomains';

const suite = existsSync(NGINX) ? describe : describe.skip;
if (!existsSync(NGINX)) console.warn(`SKIPPED nginx: ${NGINX} is not installed (apt-get install nginx)`);

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Milliseconds since the request was sent at which each piece of the body arrived. */
  arrivals: { at: number; text: string }[];
}

/** A request as the model server received it. */
type Seen = { method: string; url: string; headers: IncomingHttpHeaders; bodyBytes: number };

/** An OpenAI-compatible model server that records what reached it. */
function fakeModelServer(seen: Seen[]): Server {
  return createServer((req, res) => {
    let bodyBytes = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => ((bodyBytes += c.length), bodyBytes < 65536 && chunks.push(c)));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, bodyBytes });
      const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'GET' && req.url!.split('?')[0] === '/v1/models') return json({ object: 'list', data: [{ id: 'fake-model', object: 'model' }] });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return json({ ok: true, path: req.url });
      if (!JSON.parse(Buffer.concat(chunks).toString() || '{}').stream) return json({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'hi' } }] });
      // Server-sent events, 300 ms apart, as a model writes its tokens.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const events = ['{"delta":"a"}', '{"delta":"b"}', '{"delta":"c"}', '[DONE]'];
      const next = () => {
        res.write(`data: ${events.shift()}\n\n`);
        if (events.length) setTimeout(next, 300);
        else res.end();
      };
      next();
    });
  });
}

/** docker/nginx.conf with each `from` replaced; each must occur exactly once outside comment lines. */
function substitute(conf: string, replacements: [from: string, to: string][]): string {
  conf = conf.replace(/^\s*#.*$/gm, '');
  for (const [from, to] of replacements) {
    const count = conf.split(from).length - 1;
    if (count !== 1) throw new Error(`docker/nginx.conf has "${from}" ${count} times, not once: update the substitutions of this test`);
    conf = conf.replace(from, to);
  }
  const stray = conf.match(/^\s*listen\s+(?!127\.0\.0\.1:).*$/m);
  if (stray) throw new Error(`docker/nginx.conf listens where this test does not substitute: ${stray[0].trim()}`);
  return conf;
}

function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`nginx exited (${child.exitCode}):\n${log()}`));
      const socket = netConnect(port, '127.0.0.1', () => (socket.destroy(), resolve()));
      socket.on('error', () => (Date.now() > deadline ? reject(new Error(`nginx did not listen within 10 s:\n${log()}`)) : setTimeout(attempt, 50)));
    };
    attempt();
  });
}

/** A TLS handshake with these client options: the negotiated protocol, or the error code. */
function handshake(port: number, options: ConnectionOptions): Promise<{ protocol?: string | null; alpn?: string | false | null; error?: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      resolve({ protocol: socket.getProtocol(), alpn: socket.alpnProtocol });
      socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

suite('docker/nginx.conf in front of Tessera and a model server', () => {
  let dir: string;
  let sut: TestApp;
  let t: TenantFixture;
  let model: Server;
  let nginx: ChildProcess;
  let nginxLog = '';
  let configTest = '';
  let httpsPort: number;
  let httpPort: number;
  let tesseraPort: number;
  const seen: Seen[] = [];
  // A fresh connection per request: every request is judged on its own headers.
  const agent = new Agent({ rejectUnauthorized: false });

  beforeAll(async () => {
    const modelPort = await freePort();
    [tesseraPort, httpsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    dir = mkdtempSync(join(tmpdir(), 'tessera-nginx-'));
    const run = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`openssl could not make a certificate: ${run.error ?? run.stderr}`);

    sut = await createTestApp({ ISSUER: `https://127.0.0.1:${httpsPort}`, TRUST_PROXY: 'true', THROTTLE_PER_SUBJECT: '1000/60s', THROTTLE_PER_IP: '1000/60s' });
    await sut.app.listen({ port: tesseraPort, host: '127.0.0.1' });
    t = await createTenant(sut);
    model = fakeModelServer(seen);
    await new Promise<void>((resolve) => model.listen(modelPort, '127.0.0.1', resolve));

    const site = substitute(readFileSync(CONF, 'utf8'), [
      ['server tessera:3000;', `server 127.0.0.1:${tesseraPort};`],
      ['server inference:8000;', `server 127.0.0.1:${modelPort};`],
      ['listen 443 ssl', `listen 127.0.0.1:${httpsPort} ssl`],
      ['listen 80;', `listen 127.0.0.1:${httpPort};`],
      ['/etc/nginx/certs/tls.crt', join(dir, 'tls.crt')],
      ['/etc/nginx/certs/tls.key', join(dir, 'tls.key')],
    ]);
    writeFileSync(join(dir, 'tessera.conf'), site);
    // What the official image's nginx.conf wraps around conf.d/, with every path in dir.
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${join(dir, k)};`).join('\n  ');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `${process.getuid?.() === 0 ? 'user root;' : ''}
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} info;
events {}
http {
  default_type application/octet-stream;
  access_log ${join(dir, 'access.log')};
  ${temp}
  include ${join(dir, 'tessera.conf')};
}
`,
    );
    const args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')];
    const check = spawnSync(NGINX, [...args, '-t'], { encoding: 'utf8' });
    configTest = check.stderr;
    if (check.status !== 0) throw new Error(`nginx -t refused the substituted docker/nginx.conf:\n${check.stderr}`);
    nginx = spawn(NGINX, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx.stderr!.on('data', (d) => (nginxLog += d));
    const log = () => `${nginxLog}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`;
    await waitForPort(httpsPort, nginx, log);
  });

  afterAll(async () => {
    agent.destroy();
    if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGTERM');
      const timer = setTimeout(() => nginx.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise((r) => (model ? model.close(r) : r(undefined)));
    await sut?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One HTTPS request to nginx; `path` is sent exactly as written. */
  function call(method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer; form?: Record<string, string> } = {}): Promise<Reply> {
    const body = opts.form ? new URLSearchParams(opts.form).toString() : opts.body;
    const headers = { ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...opts.headers };
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, method, path, headers, agent }, (res) => {
        const arrivals: Reply['arrivals'] = [];
        res.setEncoding('utf8');
        res.on('data', (text: string) => arrivals.push({ at: Date.now() - started, text }));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: arrivals.map((a) => a.text).join(''), arrivals }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const login = async (scope?: string): Promise<string> => {
    const res = await call('POST', '/token', {
      form: { grant_type: 'password', client_id: t.confidential.clientId, client_secret: t.confidential.secret, username: t.user.username, password: t.user.password, ...(scope ? { scope } : {}) },
    });
    expect(res.status).toBe(200);
    return JSON.parse(res.body).access_token;
  };
  const chat = (headers: Record<string, string>, stream = false) =>
    call('POST', '/v1/chat/completions', { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'fake-model', messages: [], stream }) });
  /** What the model server received for the request that carried this marker header. */
  const seenWith = (marker: string) => seen.filter((s) => s.headers['x-test-marker'] === marker);
  const mark = () => ({ 'x-test-marker': randomBytes(6).toString('hex') });
  /** API keys usable only from this test's loopback, and only from an address it does not have. */
  const addressKeys = async () => {
    const apiKeys = sut.app.get(ApiKeysService);
    const here = await apiKeys.create({ tenantId: t.tenantId, name: 'local', scopes: ['models:list'], allowedIps: ['127.0.0.1/32'] });
    const elsewhere = await apiKeys.create({ tenantId: t.tenantId, name: 'remote', scopes: ['models:list'], allowedIps: ['10.9.9.9/32'] });
    return { here: here.key, elsewhere: elsewhere.key };
  };

  // RFC 6750 §3 lets a 403's challenge name the scope the route needs.
  const INSUFFICIENT_SCOPE = /^Bearer realm="tessera", error="insufficient_scope"(, scope="[^"]+")?$/;

  function expectChallenge(res: Reply, status: number, challenge: string | RegExp, error: string): void {
    expect(res.status).toBe(status);
    // One challenge, not two: auth_request copies a 401's own, the config restores a 403's.
    if (typeof challenge === 'string') expect(res.headers['www-authenticate']).toBe(challenge);
    else expect(res.headers['www-authenticate']).toMatch(challenge);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({ error, error_description: expect.any(String) });
    expect(res.headers['strict-transport-security']).toBe(HSTS);
  }

  it('loads without a warning', () => {
    expect(configTest).toContain('test is successful');
    expect(configTest).not.toMatch(/\[(warn|emerg|alert)\]/);
  });

  describe('TLS', () => {
    it('speaks TLS 1.2 and 1.3 with HTTP/2 offered, and refuses TLS 1.0, 1.1 and suites without AEAD', async () => {
      // SECLEVEL=0 lets this client offer the old protocols, so a refusal is the server's.
      const old = { ciphers: 'DEFAULT@SECLEVEL=0' };
      await expect(handshake(httpsPort, { ...old, minVersion: 'TLSv1', maxVersion: 'TLSv1' })).resolves.toEqual({ error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
      await expect(handshake(httpsPort, { ...old, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' })).resolves.toEqual({ error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
      await expect(handshake(httpsPort, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA256' })).resolves.toEqual({ error: expect.stringMatching(/HANDSHAKE_FAILURE/) });
      await expect(handshake(httpsPort, { ...old, maxVersion: 'TLSv1.2' })).resolves.toEqual({ protocol: 'TLSv1.2', alpn: false });
      await expect(handshake(httpsPort, { minVersion: 'TLSv1.3', ALPNProtocols: ['h2', 'http/1.1'] })).resolves.toEqual({ protocol: 'TLSv1.3', alpn: 'h2' });
    });

    it('redirects plain HTTP to HTTPS, keeping the path and query', async () => {
      const res = await new Promise<{ status: number; location?: string }>((resolve, reject) =>
        httpRequest({ host: '127.0.0.1', port: httpPort, path: '/v1/models?x=1' }, (r) => (r.resume(), resolve({ status: r.statusCode!, location: r.headers.location }))).on('error', reject).end(),
      );
      expect(res).toEqual({ status: 301, location: 'https://127.0.0.1/v1/models?x=1' });
    });
  });

  describe("Tessera's public routes", () => {
    it('serve POST /token, the JWKS, the metadata, /me, health and the OpenAPI document, with HSTS', async () => {
      const token = await login();
      const jwks = await call('GET', '/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(JSON.parse(jwks.body).keys).toEqual(expect.arrayContaining([expect.objectContaining({ kty: 'RSA', use: 'sig', alg: 'RS256' })]));
      expect(jwks.headers['cache-control']).toBe('public, max-age=300');
      const metadata = await call('GET', '/.well-known/oauth-authorization-server');
      expect(JSON.parse(metadata.body)).toMatchObject({ issuer: `https://127.0.0.1:${httpsPort}` });
      const me = await call('GET', '/me', { headers: bearer(token) });
      expect(me.status).toBe(200);
      expect(JSON.parse(me.body)).toMatchObject({ sub: t.user.id, tenant: t.slug });
      for (const path of ['/health/live', '/health/ready', '/docs-json']) expect([path, (await call('GET', path)).status]).toEqual([path, 200]);
      expect((await call('GET', '/docs')).status).toBeLessThan(400);
      for (const res of [jwks, metadata, me]) expect(res.headers['strict-transport-security']).toBe(HSTS);
    });

    it("hand Tessera the caller's address, not an address the caller wrote into X-Forwarded-For", async () => {
      const own = await createTenant(sut);
      const res = await call('POST', '/token', {
        headers: { 'x-forwarded-for': '203.0.113.9' },
        form: { grant_type: 'password', client_id: own.publicClientId, username: own.user.username, password: own.user.password },
      });
      expect(res.status).toBe(200);
      const events = await sut.dataSource.query(`SELECT ip FROM audit_events WHERE action = 'login.succeeded' AND tenant_id = $1`, [own.tenantId]);
      expect(events).toEqual([{ ip: '127.0.0.1' }]);
    });

    it("keep Tessera's own errors and challenges", async () => {
      const res = await call('POST', '/token', { form: { grant_type: 'client_credentials', client_id: t.confidential.clientId, client_secret: 'wrong' } });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
      expect(JSON.parse(res.body)).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed.' });
      expect(res.headers['strict-transport-security']).toBe(HSTS);
    });
  });

  it('answers 404 for the admin API in every spelling, though the same token works on Tessera directly', async () => {
    const admin = await call('POST', '/token', { form: { grant_type: 'password', client_id: 'admin-cli', username: 'admin', password: TEST_ADMIN_PASSWORD } });
    const token = JSON.parse(admin.body).access_token;
    const direct = await fetch(`http://127.0.0.1:${tesseraPort}/admin/tenants`, { headers: bearer(token) });
    expect(direct.status).toBe(200);
    const spellings = ['/admin', '/admin/', '/admin/tenants', '//admin/tenants', '/%61dmin/tenants', '/admin%2Ftenants', '/ADMIN/tenants', '/token/../admin/tenants', '/.well-known/%2e%2e/admin/tenants', '/x/./../admin/tenants?limit=1'];
    for (const path of spellings) {
      const res = await call('GET', path, { headers: bearer(token) });
      expect([path, res.status, res.headers['strict-transport-security']]).toEqual([path, 404, HSTS]);
    }
    expect((await call('POST', '/admin/tenants', { headers: { ...bearer(token), 'content-type': 'application/json' }, body: '{"slug":"x","name":"x"}' })).status).toBe(404);
    // Nor is the subrequest's own location reachable from outside.
    expect((await call('GET', '/_tessera_verify', { headers: bearer(token) })).status).toBe(404);
  });

  describe('the model server, behind GET /verify', () => {
    it('answers 401 with the bare challenge when no credential comes, and never calls the model server', async () => {
      const m = mark();
      expectChallenge(await call('GET', '/v1/models', { headers: m }), 401, 'Bearer realm="tessera"', 'invalid_token');
      expect(seenWith(m['x-test-marker'])).toEqual([]);
    });

    it('answers 401 invalid_token for a token that is no token', async () => {
      const res = await call('GET', '/v1/models', { headers: bearer('eyJhbGciOiJSUzI1NiJ9.e30.AAAA') });
      expectChallenge(res, 401, 'Bearer realm="tessera", error="invalid_token"', 'invalid_token');
    });

    it("gives a 401 the JSON error its challenge names: invalid_request for two credentials at once", async () => {
      const res = await call('GET', '/v1/models', { headers: { ...bearer(await login()), 'x-api-key': t.apiKey.key } });
      expectChallenge(res, 401, 'Bearer realm="tessera", error="invalid_request"', 'invalid_request');
    });

    it('answers 403 insufficient_scope for a token without the route scope, and for a route the policy does not name', async () => {
      const listOnly = await login('models:list');
      const m = mark();
      expectChallenge(await chat({ ...bearer(listOnly), ...m }), 403, INSUFFICIENT_SCOPE, 'insufficient_scope');
      const full = await login();
      expectChallenge(await call('GET', '/v1/unknown', { headers: { ...bearer(full), ...m } }), 403, INSUFFICIENT_SCOPE, 'insufficient_scope');
      expect(seenWith(m['x-test-marker'])).toEqual([]);
    });

    it('judges the request URI the model server receives, whatever route Traefik-style headers name', async () => {
      const listOnly = await login('models:list');
      const m = mark();
      expect((await chat({ ...bearer(listOnly), ...m, 'x-forwarded-uri': '/v1/models', 'x-forwarded-method': 'GET' })).status).toBe(403);
      // nginx routes the normalised path but forwards the raw one, which /verify judges.
      expect((await call('GET', '/v1/./models', { headers: { ...bearer(listOnly), ...m } })).status).toBe(403);
      expect(seenWith(m['x-test-marker'])).toEqual([]);
      const res = await call('GET', '/v1/models?limit=1', { headers: { ...bearer(listOnly), ...m } });
      expect([res.status, seenWith(m['x-test-marker']).map((s) => s.url)]).toEqual([200, ['/v1/models?limit=1']]);
    });

    it("passes an allowed request with Tessera's identity headers in place of the credential and the caller's own X-Auth-*", async () => {
      const token = await login();
      const m = mark();
      const res = await chat({ ...bearer(token), ...m, 'x-auth-subject': 'forged', 'x-auth-tenant-id': 'forged', 'x-forwarded-for': '203.0.113.9' });
      expect(res.status).toBe(200);
      expect(res.headers['strict-transport-security']).toBe(HSTS);
      expect(JSON.parse(res.body)).toMatchObject({ object: 'chat.completion' });
      const [{ headers }] = seenWith(m['x-test-marker']);
      expect(headers).toMatchObject({
        'x-auth-subject': t.user.id,
        'x-auth-tenant': t.slug,
        'x-auth-tenant-id': t.tenantId,
        'x-auth-client': t.confidential.clientId,
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'https',
      });
      expect(String(headers['x-auth-scope']).split(' ').sort()).toEqual(['chat:completions', 'models:list']);
      expect(headers.authorization).toBeUndefined();
      expect(headers['x-api-key']).toBeUndefined();
    });

    it('takes an API key in X-API-Key or as a Bearer token, and streams a large upload to the model server', async () => {
      for (const credential of [{ 'x-api-key': t.apiKey.key }, bearer(t.apiKey.key)]) {
        const m = mark();
        const res = await call('GET', '/v1/models', { headers: { ...credential, ...m } });
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body).data[0].id).toBe('fake-model');
        const [{ headers }] = seenWith(m['x-test-marker']);
        expect(headers).toMatchObject({ 'x-auth-subject': t.apiKey.id, 'x-auth-tenant': t.slug, 'x-auth-tenant-id': t.tenantId });
        expect(String(headers['x-auth-scope']).split(' ').sort()).toEqual(['models:list', 'ocr:infer']);
        expect([headers.authorization, headers['x-api-key']]).toEqual([undefined, undefined]);
      }
      const m = mark();
      const scan = randomBytes(5 * 1024 * 1024);
      const res = await call('POST', '/ocr/pages', { headers: { 'x-api-key': t.apiKey.key, 'content-type': 'application/octet-stream', ...m }, body: scan });
      expect(res.status).toBe(200);
      expect(seenWith(m['x-test-marker'])[0].bodyBytes).toBe(scan.length);
    });

    it('delivers a streamed completion as the model writes it, not at the end', async () => {
      const res = await chat(bearer(await login()), true);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream');
      const events = res.body.split('\n\n').filter(Boolean);
      expect(events).toEqual(['data: {"delta":"a"}', 'data: {"delta":"b"}', 'data: {"delta":"c"}', 'data: [DONE]']);
      // The model spends 900 ms between its first and its last event; buffering would deliver all at once.
      expect(res.arrivals.length).toBeGreaterThanOrEqual(3);
      expect(res.arrivals[res.arrivals.length - 1].at - res.arrivals[0].at).toBeGreaterThan(600);
    });

    it('refuses an access token within 6 s of its revocation at POST /revoke', async () => {
      const token = await login();
      expect((await call('GET', '/v1/models', { headers: bearer(token) })).status).toBe(200);
      const basic = `Basic ${Buffer.from(`${encodeURIComponent(t.confidential.clientId)}:${encodeURIComponent(t.confidential.secret)}`).toString('base64')}`;
      const revoked = await call('POST', '/revoke', { headers: { authorization: basic }, form: { token } });
      expect(revoked.status).toBe(200);
      const started = Date.now();
      let res = await call('GET', '/v1/models', { headers: bearer(token) });
      while (res.status === 200 && Date.now() - started < 6_000) {
        await new Promise((r) => setTimeout(r, 200));
        res = await call('GET', '/v1/models', { headers: bearer(token) });
      }
      expectChallenge(res, 401, 'Bearer realm="tessera", error="invalid_token"', 'invalid_token');
    });

    it("judges an API key's allowedIps by the caller's address as nginx saw it, not the X-Forwarded-For the caller wrote", async () => {
      // TRUST_PROXY is set (beforeAll): nginx's X-Forwarded-For, its $remote_addr, names the caller.
      const { here, elsewhere } = await addressKeys();
      const m = mark();
      expect((await call('GET', '/v1/models', { headers: { 'x-api-key': here, ...m } })).status).toBe(200);
      expect(seenWith(m['x-test-marker'])).toHaveLength(1);
      for (const headers of [{}, { 'x-forwarded-for': '10.9.9.9' }] as Record<string, string>[]) {
        const n = mark();
        const refused = await call('GET', '/v1/models', { headers: { 'x-api-key': elsewhere, ...headers, ...n } });
        // nginx answers every 403 of /verify with its own body; the challenge is /verify's, without an error code.
        expectChallenge(refused, 403, 'Bearer realm="tessera"', 'insufficient_scope');
        expect(seenWith(n['x-test-marker'])).toEqual([]);
      }
      expect((await call('GET', '/v1/models', { headers: { 'x-api-key': here, 'x-forwarded-for': '10.9.9.9' } })).status).toBe(200);
    });

    // With TRUST_PROXY, /verify takes X-Real-IP over X-Forwarded-For: the config must set it to the
    // peer on /_tessera_verify, or a caller's own header would reach /verify (it once did).
    it("does not let a caller's own X-Real-IP pass an API key's allowedIps", async () => {
      const { elsewhere } = await addressKeys();
      const res = await call('GET', '/v1/models', { headers: { 'x-api-key': elsewhere, 'x-real-ip': '10.9.9.9' } });
      expect(res.status).toBe(403);
    });

    it('answers 429 with Retry-After and X-RateLimit-* when /verify reports X-Auth-Status: 429 for a subject over its quota', async () => {
      const q = await createTenant(sut, { settings: { quota: { perSubjectPerMinute: 2 } } });
      const issued = await call('POST', '/token', {
        form: { grant_type: 'password', client_id: q.confidential.clientId, client_secret: q.confidential.secret, username: q.user.username, password: q.user.password },
      });
      const token = JSON.parse(issued.body).access_token;
      // The real clock: should a minute end between the calls, the count starts again, so this
      // goes on until the refusal (at most two windows' worth).
      const m = mark();
      const answers: Reply[] = [];
      while (answers.length < 5 && !answers.some((r) => r.status === 429)) answers.push(await call('GET', '/v1/models', { headers: { ...bearer(token), ...m } }));
      const [allowed, refused] = [answers[0], answers[answers.length - 1]];
      expect([allowed.status, allowed.headers['x-ratelimit-limit'], allowed.headers['x-ratelimit-remaining']]).toEqual([200, '2', '1']);
      expect(allowed.headers['retry-after']).toBeUndefined();
      expect([refused.status, refused.headers['x-ratelimit-limit'], refused.headers['x-ratelimit-remaining']]).toEqual([429, '2', '0']);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(refused.headers['content-type']).toBe('application/json');
      expect(JSON.parse(refused.body)).toEqual({ error: 'rate_limited', error_description: expect.any(String) });
      expect(refused.headers['www-authenticate']).toBeUndefined();
      expect(refused.headers['strict-transport-security']).toBe(HSTS);
      // Only the allowed requests reached the model server.
      expect(seenWith(m['x-test-marker'])).toHaveLength(answers.length - 1);
    });
  });
});
