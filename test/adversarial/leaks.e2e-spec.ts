import { randomBytes } from 'node:crypto';
import pino, { type DestinationStream } from 'pino';
import type { Response } from 'supertest';
import { bearer, createTenantViaApi, platformToken } from '../support/admin';
import { TEST_ADMIN_PASSWORD, createTestApp, type TestApp } from '../support/test-app';

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

/**
 * After the main flows, succeeded and failed, no password, refresh token, API key, client
 * secret or whole access token appears in a log line (every level, captured at pino's
 * destination), an audit event, an error body or /metrics (contract 3).
 */
describe('no secret leaks into logs, audit details, error bodies or /metrics', () => {
  let sut: TestApp;
  const lines: string[] = [];
  const errorBodies: string[] = [];
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    const capture: DestinationStream = { write: (line: string) => void lines.push(line) };
    jest.spyOn(pino, 'destination').mockReturnValue(capture as ReturnType<typeof pino.destination>);
    sut = await createTestApp({ LOG_LEVEL: 'trace', THROTTLE_PER_SUBJECT: '1000/60s' });
  });

  afterAll(async () => {
    await sut.close();
    jest.restoreAllMocks();
  });

  /** Remembers a secret to look for, and keeps every error body. */
  const keep = (label: string, value: string) => {
    expect({ label, type: typeof value }).toEqual({ label, type: 'string' });
    secrets.set(label, value);
    return value;
  };
  const seen = (res: Response) => {
    if (res.status >= 400) errorBodies.push(res.text);
    return res;
  };
  const http = () => sut.http();
  const form = (path: string, body: Record<string, string>, auth?: [string, string]) => {
    const req = http().post(path).type('form');
    return (auth ? req.auth(...auth) : req).send(body).then(seen);
  };

  it('runs the main flows, with failures that carry secrets', async () => {
    keep('admin password', TEST_ADMIN_PASSWORD);
    const platform = keep('platform access token', await platformToken(sut));
    const tenant = await createTenantViaApi(sut, platform, { scopes: ['models:list', 'ocr:infer'] });
    const users = `/admin/tenants/${tenant.id}/users`;
    const password = keep('user password', secret('pw'));
    const user = seen(await http().post(users).set(bearer(platform)).send({ username: 'leaky', password, scopes: ['models:list'] }));
    expect(user.status).toBe(201);

    // Logins: good, wrong password, unknown user; refresh; reuse.
    const login = (pw: string, username = 'leaky') => form('/token', { grant_type: 'password', client_id: tenant.defaultClient.clientId, username, password: pw });
    const first = (await login(password)).body;
    keep('access token', first.access_token);
    keep('refresh token', first.refresh_token);
    await login(keep('wrong password', secret('wrong')));
    await login(keep('unknown user’s password', secret('nobody')), 'nobody');
    const refresh = (rt: string) => form('/token', { grant_type: 'refresh_token', client_id: tenant.defaultClient.clientId, refresh_token: rt });
    const second = (await refresh(first.refresh_token)).body;
    keep('refreshed access token', second.access_token);
    keep('second refresh token', second.refresh_token);
    expect((await refresh(first.refresh_token)).status).toBe(400);

    // A confidential client: created, used by Basic, its secret rotated, the old one refused.
    const clients = `/admin/tenants/${tenant.id}/clients`;
    const client = seen(await http().post(clients).set(bearer(platform)).send({ name: 'backend', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['models:list'] })).body;
    keep('client secret', client.clientSecret);
    keep('client token', (await form('/token', { grant_type: 'client_credentials' }, [client.clientId, client.clientSecret])).body.access_token);
    const rotated = keep('rotated client secret', seen(await http().post(`${clients}/${client.id}/rotate-secret`).set(bearer(platform))).body.clientSecret);
    expect((await form('/token', { grant_type: 'client_credentials' }, [client.clientId, client.clientSecret])).status).toBe(401);
    await form('/token', { grant_type: 'client_credentials', client_id: client.clientId, client_secret: keep('guessed client secret', secret('guess')) });

    // An API key: as client credentials, at /verify both ways, rotated.
    const keys = `/admin/tenants/${tenant.id}/api-keys`;
    const apiKey = seen(await http().post(keys).set(bearer(platform)).send({ name: 'ocr', scopes: ['ocr:infer'] })).body;
    keep('API key', apiKey.key);
    keep('API key token', (await form('/token', { grant_type: 'client_credentials', client_id: apiKey.id, client_secret: apiKey.key })).body.access_token);
    const verify = (credential: Record<string, string>) => http().get('/verify').set({ 'x-original-method': 'POST', 'x-original-uri': '/ocr/x', ...credential }).then(seen);
    await verify(bearer(apiKey.key));
    await verify({ 'x-api-key': apiKey.key });
    await verify(bearer(second.access_token));
    await verify(bearer(`${second.access_token.slice(0, -6)}AAAAAA`));
    await verify({ 'x-api-key': `${apiKey.key.slice(0, -6)}AAAAAA` });
    keep('rotated API key', seen(await http().post(`${keys}/${apiKey.id}/rotate`).set(bearer(platform)).send({})).body.key);

    // Introspection and revocation.
    await form('/introspect', { token: second.access_token }, [client.clientId, rotated]);
    await form('/introspect', { token: second.refresh_token }, [client.clientId, rotated]);
    await form('/revoke', { token: second.refresh_token, client_id: tenant.defaultClient.clientId });

    // Password changes: by the user (a wrong current one first), and a reset by the admin.
    const third = (await login(password)).body;
    keep('third access token', third.access_token);
    keep('third refresh token', third.refresh_token);
    const changed = keep('changed password', secret('changed'));
    seen(await http().post('/me/password').set(bearer(third.access_token)).send({ currentPassword: keep('wrong current password', secret('cur')), newPassword: changed }));
    expect(seen(await http().post('/me/password').set(bearer(third.access_token)).send({ currentPassword: password, newPassword: changed })).status).toBe(200);
    const reset = keep('reset password', secret('reset'));
    expect(seen(await http().patch(`${users}/${user.body.id}`).set(bearer(platform)).send({ password: reset })).status).toBe(200);

    // Malformed requests that carry a secret: broken JSON, an unknown field, a weak password.
    const brokenJson = (path: string, text: string, auth = {}) => http().post(path).set({ 'content-type': 'application/json', ...auth }).send(text).then(seen);
    await brokenJson('/token', `{"grant_type":"password","client_id":"${tenant.defaultClient.clientId}","username":"leaky","password":"${keep('password in broken JSON', secret('json'))}"`);
    await brokenJson('/token', `{"grant_type":"refresh_token","refresh_token":"${third.refresh_token}",,}`);
    await brokenJson(users, `{"username":"x","password":"${keep('password in a broken admin body', secret('adminjson'))}" "scopes":[]}`, bearer(platform));
    seen(await http().post(users).set(bearer(platform)).send({ username: 'other', password: keep('password beside an unknown field', secret('extra')), scopes: [], apiKey: apiKey.key }));
    seen(await http().post(users).set(bearer(platform)).send({ username: 'weak', password: 'password1234', scopes: [] }));
    await form('/token', { grant_type: 'password', client_id: tenant.defaultClient.clientId, username: 'leaky', password: keep('password with NUL', `${secret('nul')}\u0000`) });
  });

  it('shows none of them in a log line, an audit event, an error body or /metrics', async () => {
    const metrics = (await http().get('/metrics').expect(200)).text;
    const audit = JSON.stringify(await sut.dataSource.query(`SELECT * FROM audit_events`));
    // Let pino's asynchronous writes land.
    await new Promise((r) => setTimeout(r, 200));
    const log = lines.join('');
    // The capture works: the flows above were logged, with the errors' details.
    expect(log).toContain('"url":"/token"');
    expect(errorBodies.length).toBeGreaterThan(10);
    const found: string[] = [];
    for (const [label, value] of secrets) {
      // A secret with a NUL is looked for without it, as a log would escape it.
      const needle = value.replace(/\u0000$/, '');
      for (const [where, text] of Object.entries({ log, audit, 'error bodies': errorBodies.join('\n'), metrics })) {
        if (text.includes(needle)) found.push(`${label} in ${where}`);
      }
    }
    expect(found).toEqual([]);
  });
});
