import { bearer, createTenantViaApi, createUserViaApi, login, platformToken, tenantAdminToken, type AdminTenant } from './support/admin';
import { createTestApp, type TestApp } from './support/test-app';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed.' };
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('admin API: clients', () => {
  let sut: TestApp;
  let platform: string;
  let tenant: AdminTenant;

  beforeAll(async () => {
    sut = await createTestApp();
    platform = await platformToken(sut);
    tenant = await createTenantViaApi(sut, platform, { scopes: ['models:list', 'ocr:infer'] });
  });

  afterAll(async () => {
    await sut.close();
  });

  const clients = (tenantId = tenant.id) => `/admin/tenants/${tenantId}/clients`;
  const create = (body: Record<string, unknown>, token = platform, tenantId = tenant.id) =>
    sut.http().post(clients(tenantId)).set(bearer(token)).send(body);
  const confidential = { name: 'backend', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['ocr:infer'] };
  const clientCredentials = (clientId: string, secret: string, scope?: string) =>
    sut.http().post('/token').type('form').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret, ...(scope ? { scope } : {}) });
  const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
  const auditActions = async (target: string): Promise<{ action: string; details: Record<string, unknown> }[]> =>
    sut.dataSource.query(`SELECT action, details FROM audit_events WHERE target = $1 ORDER BY at, action`, [target]);

  it('creates a confidential client whose secret, shown once, gets a client_credentials token', async () => {
    const res = await create({ ...confidential, audience: 'https://ocr.example.com' }).expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      clientId: expect.any(String),
      name: 'backend',
      type: 'confidential',
      grantTypes: ['client_credentials'],
      scopes: ['ocr:infer'],
      audience: 'https://ocr.example.com',
      allowedIps: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      secretRotatedAt: null,
      clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const { clientSecret, ...client } = res.body;
    const token = await clientCredentials(client.clientId, clientSecret).expect(200);
    expect(token.body.scope).toBe('ocr:infer');
    expect(claims(token.body.access_token)).toMatchObject({ sub: client.clientId, aud: 'https://ocr.example.com', tenant_id: tenant.id });

    const got = await sut.http().get(`${clients()}/${client.id}`).set(bearer(platform)).expect(200);
    expect(got.body).toEqual(client);
    const [row] = await sut.dataSource.query(`SELECT * FROM clients WHERE id = $1`, [client.id]);
    expect(JSON.stringify(row)).not.toContain(clientSecret);
    const audit = await auditActions(client.id);
    expect(audit).toEqual([{ action: 'client.created', details: { clientId: client.clientId, type: 'confidential', grantTypes: ['client_credentials'], scopes: ['ocr:infer'], allowedIps: null } }]);
  });

  it('creates a public client without a secret; it may not have client_credentials or rotate a secret', async () => {
    const res = await create({ name: 'cli', type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['models:list', 'admin:tenant'] }).expect(201);
    expect(res.body).not.toHaveProperty('clientSecret');
    expect(res.body).toMatchObject({ type: 'public', audience: null, scopes: ['models:list', 'admin:tenant'] });
    const bad = await create({ ...confidential, type: 'public' }).expect(400);
    expect(bad.body.errors).toEqual([{ field: 'grantTypes', message: 'client_credentials needs a confidential client' }]);
    const patch = await sut.http().patch(`${clients()}/${res.body.id}`).set(bearer(platform)).send({ grantTypes: ['client_credentials'] }).expect(400);
    expect(patch.body.errors).toEqual([{ field: 'grantTypes', message: 'client_credentials needs a confidential client' }]);
    const rotate = await sut.http().post(`${clients()}/${res.body.id}/rotate-secret`).set(bearer(platform)).expect(409);
    expect(rotate.body).toEqual({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'A public client has no secret to rotate.' });
  });

  it('lists clients a page at a time, in creation order, with no row skipped or repeated', async () => {
    const t = await createTenantViaApi(sut, platform);
    for (let i = 0; i < 4; i++) await create({ ...confidential, scopes: [], name: `c${i}` }, platform, t.id).expect(201);
    const seen: { id: string; clientId: string }[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string; clientId: string }[]; nextCursor: string | null } } = await sut
        .http()
        .get(clients(t.id))
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(bearer(platform))
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      expect(JSON.stringify(res.body)).not.toMatch(/clientSecret|secretHash|secret_hash/);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    const all = await sut.dataSource.query(`SELECT id FROM clients WHERE tenant_id = $1 ORDER BY created_at, id`, [t.id]);
    expect(seen.map((c) => c.id)).toEqual(all.map((r: { id: string }) => r.id));
    expect(seen).toHaveLength(5);
    expect(seen[0].clientId).toBe(t.defaultClient.clientId);
  });

  it('updates name, grants, scopes and audience, effective at /token at once; null audience resets it', async () => {
    const { body: c } = await create({ ...confidential, grantTypes: ['client_credentials', 'password'], scopes: ['ocr:infer', 'models:list'], audience: 'urn:a' }).expect(201);
    const res = await sut
      .http()
      .patch(`${clients()}/${c.id}`)
      .set(bearer(platform))
      .send({ name: 'renamed', scopes: ['models:list'], audience: null })
      .expect(200);
    expect(res.body).toEqual({ ...c, clientSecret: undefined, name: 'renamed', scopes: ['models:list'], audience: null, updatedAt: expect.any(String) });
    const token = await clientCredentials(c.clientId, c.clientSecret).expect(200);
    expect(token.body.scope).toBe('models:list');
    expect(claims(token.body.access_token).aud).toBe(sut.config.defaultAudience);
    await clientCredentials(c.clientId, c.clientSecret, 'ocr:infer').expect(400, {
      error: 'invalid_scope',
      error_description: 'The requested scope is invalid or exceeds what may be granted.',
    });

    await sut.http().patch(`${clients()}/${c.id}`).set(bearer(platform)).send({ grantTypes: ['password'] }).expect(200);
    const refused = await clientCredentials(c.clientId, c.clientSecret).expect(400);
    expect(refused.body).toEqual({ error: 'unauthorized_client', error_description: 'The client is not allowed to use this grant type.' });
    const audit = await auditActions(c.id);
    expect(audit.map((a) => a.action).sort()).toEqual(['client.created', 'client.updated', 'client.updated']);
    expect(audit.map((a) => a.details.changed)).toEqual(expect.arrayContaining([['name', 'scopes', 'audience'], ['grantTypes']]));
  });

  it('rotates a confidential client’s secret: the old one is refused at once, the new one works', async () => {
    const { body: c } = await create(confidential).expect(201);
    const res = await sut.http().post(`${clients()}/${c.id}/rotate-secret`).set(bearer(platform)).expect(200);
    expect(res.body).toEqual({ ...c, clientSecret: expect.any(String), secretRotatedAt: expect.any(String), updatedAt: expect.any(String) });
    expect(res.body.clientSecret).not.toBe(c.clientSecret);
    await clientCredentials(c.clientId, c.clientSecret).expect(401, INVALID_CLIENT);
    await clientCredentials(c.clientId, res.body.clientSecret).expect(200);
    const audit = await auditActions(c.id);
    expect(audit).toEqual([expect.objectContaining({ action: 'client.created' }), { action: 'client.secret_rotated', details: { clientId: c.clientId } }]);
    expect(JSON.stringify(audit)).not.toContain(res.body.clientSecret);
  });

  it('deletes a client after revoking its sessions: its refresh token and access token die with it', async () => {
    const { body: c } = await create({ name: 'app', type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['models:list'] }).expect(201);
    const user = await createUserViaApi(sut, platform, tenant.id, ['models:list']);
    const login = await sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: c.clientId, username: user.username, password: user.password }).expect(200);
    await sut.http().delete(`${clients()}/${c.id}`).set(bearer(platform)).expect(204);

    // The client is gone, so the request fails at client authentication, before the grant.
    await sut
      .http()
      .post('/token')
      .type('form')
      .send({ grant_type: 'refresh_token', client_id: c.clientId, refresh_token: login.body.refresh_token })
      .expect(401, INVALID_CLIENT);
    const revoked = await sut.dataSource.query(`SELECT reason FROM revoked_access_tokens WHERE jti = $1`, [claims(login.body.access_token).jti]);
    expect(revoked).toEqual([{ reason: 'client_deleted' }]);
    await sut.http().get(`${clients()}/${c.id}`).set(bearer(platform)).expect(404);
    await sut.http().delete(`${clients()}/${c.id}`).set(bearer(platform)).expect(404);
    const audit = await auditActions(c.id);
    expect(audit[1]).toEqual({ action: 'client.deleted', details: { clientId: c.clientId, revokedSessions: 1 } });
  });

  it('never deletes the bootstrap client admin-cli', async () => {
    const [{ id, tenant_id }] = await sut.dataSource.query(`SELECT id, tenant_id FROM clients WHERE client_id = 'admin-cli'`);
    const res = await sut.http().delete(`${clients(tenant_id)}/${id}`).set(bearer(platform)).expect(409);
    expect(res.body.detail).toBe('The bootstrap client admin-cli cannot be deleted.');
  });

  it('refuses invalid bodies with problem+json naming each field', async () => {
    const fieldsOf = (res: { body: { errors: { field: string }[] } }) => [...new Set(res.body.errors.map((e) => e.field))].sort();
    const missing = await create({}).expect(400);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ type: 'https://tessera.dev/problems/validation', title: 'Bad Request', status: 400 });
    expect(fieldsOf(missing)).toEqual(['grantTypes', 'name', 'scopes', 'type']);
    const wrong = await create({ name: 5, type: 'secret', grantTypes: 'password', scopes: 'ocr:infer', audience: 7 }).expect(400);
    expect(fieldsOf(wrong)).toEqual(['audience', 'grantTypes', 'name', 'scopes', 'type']);
    const oversized = await create({ ...confidential, name: 'x'.repeat(201), scopes: Array.from({ length: 101 }, (_, i) => `s${i}`), audience: 'a'.repeat(501) }).expect(400);
    expect(fieldsOf(oversized)).toEqual(['audience', 'name', 'scopes']);
    const unknown = await create({ ...confidential, clientId: 'mine', secret: 'x' }).expect(400);
    expect(unknown.body.errors).toEqual([
      { field: 'clientId', message: 'is not a known field' },
      { field: 'secret', message: 'is not a known field' },
    ]);
    for (const grantTypes of [[], ['password', 'password'], ['implicit']]) {
      expect(fieldsOf(await create({ ...confidential, grantTypes }).expect(400))).toEqual(['grantTypes']);
    }
    expect(fieldsOf(await create({ ...confidential, audience: 'two words' }).expect(400))).toEqual(['audience']);
    const outside = await create({ ...confidential, scopes: ['ocr:infer', 'images', 'admin:platform'] }).expect(400);
    expect(outside.body.errors).toEqual([{ field: 'scopes', message: 'not offered by the tenant: images admin:platform' }]);

    const { body: c } = await create(confidential).expect(201);
    const patch = (body: Record<string, unknown>) => sut.http().patch(`${clients()}/${c.id}`).set(bearer(platform)).send(body);
    expect(fieldsOf(await patch({ type: 'public' }).expect(400))).toEqual(['type']);
    expect(fieldsOf(await patch({ name: null, scopes: null, grantTypes: null }).expect(400))).toEqual(['grantTypes', 'name', 'scopes']);
    expect((await patch({ scopes: ['images'] }).expect(400)).body.errors).toEqual([{ field: 'scopes', message: 'not offered by the tenant: images' }]);
  });

  it('answers 404 for unknown and malformed ids, and for another tenant’s client', async () => {
    const other = await createTenantViaApi(sut, platform);
    const { body: c } = await create(confidential).expect(201);
    await sut.http().get(`${clients()}/${UNKNOWN_ID}`).set(bearer(platform)).expect(404);
    await sut.http().get(`${clients()}/not-a-uuid`).set(bearer(platform)).expect(404);
    await sut.http().get(clients(UNKNOWN_ID)).set(bearer(platform)).expect(404);
    await sut.http().get(`${clients(other.id)}/${c.id}`).set(bearer(platform)).expect(404);
    await sut.http().patch(`${clients(other.id)}/${c.id}`).set(bearer(platform)).send({ name: 'x' }).expect(404);
    await sut.http().post(`${clients(other.id)}/${c.id}/rotate-secret`).set(bearer(platform)).expect(404);
    await sut.http().delete(`${clients(other.id)}/${c.id}`).set(bearer(platform)).expect(404);
    await clientCredentials(c.clientId, c.clientSecret).expect(200);
  });

  it('lets a tenant admin manage its own tenant’s clients, and answers 404 to another tenant’s admin', async () => {
    const own = await tenantAdminToken(sut, platform, tenant);
    const other = await tenantAdminToken(sut, platform, await createTenantViaApi(sut, platform));
    const { body: c } = await create(confidential, own).expect(201);
    await sut.http().get(clients()).set(bearer(own)).expect(200);
    await sut.http().get(`${clients()}/${c.id}`).set(bearer(own)).expect(200);
    await sut.http().patch(`${clients()}/${c.id}`).set(bearer(own)).send({ name: 'mine' }).expect(200);
    await sut.http().post(`${clients()}/${c.id}/rotate-secret`).set(bearer(own)).expect(200);

    await sut.http().get(clients()).set(bearer(other)).expect(404);
    await create(confidential, other).expect(404);
    await sut.http().get(`${clients()}/${c.id}`).set(bearer(other)).expect(404);
    await sut.http().patch(`${clients()}/${c.id}`).set(bearer(other)).send({ name: 'theirs' }).expect(404);
    await sut.http().post(`${clients()}/${c.id}/rotate-secret`).set(bearer(other)).expect(404);
    await sut.http().delete(`${clients()}/${c.id}`).set(bearer(other)).expect(404);

    await sut.http().delete(`${clients()}/${c.id}`).set(bearer(own)).expect(204);
    const [{ actor }] = await sut.dataSource.query(`SELECT actor FROM audit_events WHERE target = $1 AND action = 'client.deleted'`, [c.id]);
    expect(actor).toBe(claims(own).sub);
  });

  it('leaves admin:platform to platform admins, also for a system-tenant admin', async () => {
    const [{ id: systemId }] = await sut.dataSource.query(`SELECT id FROM tenants WHERE slug = 'system'`);
    const { body: cli } = await create({ name: 'ops', type: 'public', grantTypes: ['password'], scopes: ['admin:tenant'] }, platform, systemId).expect(201);
    const user = await createUserViaApi(sut, platform, systemId, ['admin:tenant']);
    const systemAdmin = await login(sut, cli.clientId, user.username, user.password);
    const { body: powerful } = await create({ ...confidential, scopes: ['admin:platform'] }, platform, systemId).expect(201);

    await create({ ...confidential, scopes: ['admin:platform'] }, systemAdmin, systemId).expect(403);
    await sut.http().post(`${clients(systemId)}/${powerful.id}/rotate-secret`).set(bearer(systemAdmin)).expect(403);
    await sut.http().patch(`${clients(systemId)}/${powerful.id}`).set(bearer(systemAdmin)).send({ scopes: [] }).expect(403);
    await sut.http().delete(`${clients(systemId)}/${powerful.id}`).set(bearer(systemAdmin)).expect(403);
    await create({ ...confidential, scopes: ['models:list'] }, systemAdmin, systemId).expect(201);
    await clientCredentials(powerful.clientId, powerful.clientSecret).expect(200);
  });
});
