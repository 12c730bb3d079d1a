import { randomBytes } from 'node:crypto';
import { bearer, createTenantViaApi, platformToken } from '../support/admin';
import { createTenant, type TenantFixture } from '../support/fixtures';
import { createTestApp, type TestApp } from '../support/test-app';

const INVALID_GRANT = { error: 'invalid_grant', error_description: 'The grant is invalid, expired or revoked.' };

/** Counts of each status, e.g. { 201: 1, 409: 9 }. */
const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

/**
 * Races within one instance: many requests for one thing at once. (Two instances rotating
 * keys at once: keys.e2e-spec.ts "rotate exactly once with two instances"; two instances
 * under faults: faults.adv-spec.ts.)
 */
describe('races', () => {
  let sut: TestApp;
  let platform: string;

  beforeAll(async () => {
    sut = await createTestApp({ THROTTLE_PER_SUBJECT: '100000/60s', THROTTLE_PER_IP: '100000/60s', DATABASE_POOL_SIZE: '10' });
    platform = await platformToken(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  const token = (form: Record<string, string>) => sut.http().post('/token').type('form').send(form);
  const login = (t: TenantFixture, password = t.user.password) =>
    token({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password });
  const introspect = (t: TenantFixture, tokenValue: string) =>
    sut.http().post('/introspect').auth(t.confidential.clientId, t.confidential.secret).type('form').send({ token: tokenValue });

  it('50 concurrent refreshes of one token: exactly one 200; every other presentation is reuse and revokes the family (RFC 9700 §4.14.2)', async () => {
    const t = await createTenant(sut);
    const first = (await login(t).expect(200)).body;
    const refresh = (refreshToken: string) => token({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: refreshToken });
    const all = await Promise.all(Array.from({ length: 50 }, () => refresh(first.refresh_token)));
    expect(tally(all.map((r) => r.status))).toEqual({ 200: 1, 400: 49 });
    for (const loser of all.filter((r) => r.status === 400)) expect(loser.body).toEqual(INVALID_GRANT);
    const winner = all.find((r) => r.status === 200)!.body;
    // A presentation of a token already used, concurrent or not, is how a stolen token shows
    // itself: the server cannot tell the thief from the client, so the winner's pair dies too
    // (a tenant whose clients race themselves sets refreshReuseGrace: sessions.e2e-spec.ts).
    expect((await refresh(winner.refresh_token)).body).toEqual(INVALID_GRANT);
    expect((await introspect(t, winner.access_token)).body).toEqual({ active: false });
    // Replaying a loser afterwards changes nothing and issues nothing.
    const replay = await refresh(first.refresh_token);
    expect({ status: replay.status, body: replay.body }).toEqual({ status: 400, body: INVALID_GRANT });
    const [family] = await sut.dataSource.query(
      `SELECT f.revoked_at IS NOT NULL AS revoked, count(t.id)::int AS tokens FROM refresh_token_families f JOIN refresh_tokens t ON t.family_id = f.id
       WHERE f.tenant_id = $1 GROUP BY f.id`,
      [t.tenantId],
    );
    expect(family).toEqual({ revoked: true, tokens: 2 });
    const [{ n }] = await sut.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1 AND action = 'refresh_token.reuse_detected'`, [t.tenantId]);
    expect(n).toBeGreaterThanOrEqual(1);
  });

  it('concurrent tenant creation with one slug: one 201, the rest 409', async () => {
    const slug = `race-${randomBytes(4).toString('hex')}`;
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => sut.http().post('/admin/tenants').set(bearer(platform)).send({ slug, name: `racer ${i}` })));
    expect(tally(all.map((r) => r.status))).toEqual({ 201: 1, 409: 11 });
    for (const r of all.filter((x) => x.status === 409)) expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    const rows = await sut.dataSource.query(`SELECT id FROM tenants WHERE slug = $1`, [slug]);
    expect(rows).toHaveLength(1);
    // Exactly one default client, of the tenant that won.
    const clients = await sut.dataSource.query(`SELECT count(*)::int AS n FROM clients WHERE tenant_id = $1`, [rows[0].id]);
    expect(clients).toEqual([{ n: 1 }]);
  });

  it('concurrent user creation with one username, in spellings that are one name (NFKC, case): one 201, the rest 409', async () => {
    const tenant = await createTenantViaApi(sut, platform);
    const base = `racer${randomBytes(3).toString('hex')}`;
    // NFKC folds the fullwidth letter; case is ignored.
    const spellings = [base, base.toUpperCase(), `\uff52${base.slice(1)}`, base, `R${base.slice(1)}`, base];
    const all = await Promise.all(
      spellings.map((username) => sut.http().post(`/admin/tenants/${tenant.id}/users`).set(bearer(platform)).send({ username, password: `pw-${randomBytes(8).toString('hex')}`, scopes: [] })),
    );
    expect(tally(all.map((r) => r.status))).toEqual({ 201: 1, 409: 5 });
    const [{ n }] = await sut.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1`, [tenant.id]);
    expect(n).toBe(1);
  });

  it('concurrent password changes of one user: exactly one wins, and only its password logs in', async () => {
    const t = await createTenant(sut);
    const session = (await login(t).expect(200)).body;
    const candidates = Array.from({ length: 6 }, () => `new-${randomBytes(10).toString('hex')}`);
    const all = await Promise.all(
      candidates.map((newPassword) => sut.http().post('/me/password').set(bearer(session.access_token)).send({ currentPassword: t.user.password, newPassword })),
    );
    expect(tally(all.map((r) => r.status))).toEqual({ 200: 1, 400: 5 });
    for (const r of all.filter((x) => x.status === 400)) expect(r.body.errors).toEqual([{ field: 'currentPassword', message: 'is wrong' }]);
    const won = candidates[all.findIndex((r) => r.status === 200)];
    const logins = await Promise.all([t.user.password, ...candidates].map((password) => login(t, password)));
    expect(logins.map((r) => r.status)).toEqual([t.user.password, ...candidates].map((p) => (p === won ? 200 : 400)));
    const [{ n }] = await sut.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1 AND action = 'user.password_changed'`, [t.tenantId]);
    expect(n).toBe(1);
  });
});
