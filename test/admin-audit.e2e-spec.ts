import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { bearer, createTenantViaApi, createUserViaApi, login, platformToken, tenantAdminToken, type AdminTenant } from './support/admin';
import { createTestApp, type TestApp } from './support/test-app';

interface Item {
  id: string;
  at: string;
  tenantId: string | null;
  action: string;
}

const AGENT = 'admin-audit-spec/1.0';

describe('admin API: audit events', () => {
  let sut: TestApp;
  let platform: string;
  let a: AdminTenant;
  let b: AdminTenant;
  let adminOfA: string;

  const get = (token: string, query: Record<string, string | number>) => sut.http().get('/admin/audit-events').query(query).set(bearer(token));

  /** Events of a made-up tenant at chosen instants (audit rows have no foreign key to tenants). */
  async function insertEvents(tenantId: string, ats: string[]): Promise<void> {
    for (const at of ats) {
      await sut.dataSource.query(`INSERT INTO audit_events (at, tenant_id, actor, action, outcome) VALUES ($1, $2, 'spec', 'spec.event', 'success')`, [at, tenantId]);
    }
  }

  /** Every page of a listing, following nextCursor. */
  async function allPages(token: string, query: Record<string, string | number>): Promise<Item[]> {
    const seen: Item[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Item[]; nextCursor: string | null } } = await get(token, { ...query, ...(cursor ? { cursor } : {}) }).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(Number(query.limit ?? 50));
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return seen;
  }

  beforeAll(async () => {
    sut = await createTestApp();
    platform = await platformToken(sut);
    a = await createTenantViaApi(sut, platform);
    b = await createTenantViaApi(sut, platform);
    adminOfA = await tenantAdminToken(sut, platform, a);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('filters by tenant and action, and shows who did it from where', async () => {
    const c = await sut.http().post('/admin/tenants').set(bearer(platform)).set('user-agent', AGENT).send({ slug: `c-${Date.now()}`, name: 'C' }).expect(201);
    const res = await get(platform, { tenant_id: c.body.id, action: 'tenant.created' }).expect(200);
    expect(res.body).toEqual({
      items: [
        {
          id: expect.any(String),
          at: expect.any(String),
          tenantId: c.body.id,
          actor: decodeJwt(platform).sub,
          action: 'tenant.created',
          target: c.body.id,
          ip: expect.any(String),
          userAgent: AGENT,
          outcome: 'success',
          details: { slug: c.body.slug },
        },
      ],
      nextCursor: null,
    });
    const ofA = await allPages(platform, { tenant_id: a.id });
    expect(ofA.length).toBeGreaterThan(0);
    expect(ofA.every((e) => e.tenantId === a.id)).toBe(true);
    const created = await allPages(platform, { action: 'tenant.created' });
    expect(created.map((e) => e.action)).toEqual(created.map(() => 'tenant.created'));
    expect(created.map((e) => (e as Item & { target: string }).target)).toEqual(expect.arrayContaining([a.id, b.id, c.body.id]));
  });

  it('filters by time: since inclusive, until exclusive, to the microsecond', async () => {
    const t = randomUUID();
    await insertEvents(t, ['2030-01-01T00:00:00Z', '2030-01-01T00:00:00.000001Z', '2030-01-01T00:01:00Z', '2030-01-01T00:02:00Z']);
    const window = await get(platform, { tenant_id: t, since: '2030-01-01T00:00:00.000001Z', until: '2030-01-01T00:02:00Z' }).expect(200);
    expect(window.body.items.map((e: Item) => e.at)).toEqual(['2030-01-01T00:01:00.000Z', '2030-01-01T00:00:00.000Z']);
    const since = await get(platform, { tenant_id: t, since: '2030-01-01T01:00:00+01:00' }).expect(200);
    expect(since.body.items).toHaveLength(4);
    const until = await get(platform, { tenant_id: t, until: '2030-01-01T00:00:00Z' }).expect(200);
    expect(until.body.items).toHaveLength(0);
  });

  it('pages newest first with no event skipped or repeated, even when they share an instant', async () => {
    const t = randomUUID();
    const same = '2031-05-05T05:05:05.123456Z';
    await insertEvents(t, [same, same, same, '2031-05-05T05:05:05.123457Z', same, '2031-05-05T05:05:05.123455Z', same]);
    const seen = await allPages(platform, { tenant_id: t, limit: 2 });
    const all: { id: string }[] = await sut.dataSource.query(`SELECT id FROM audit_events WHERE tenant_id = $1 ORDER BY at DESC, id DESC`, [t]);
    expect(seen.map((e) => e.id)).toEqual(all.map((r) => r.id));
    expect(all).toHaveLength(7);
  });

  it('confines a tenant admin to its own tenant: another tenant_id is 404', async () => {
    const own = await allPages(adminOfA, {});
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((e) => e.tenantId === a.id)).toBe(true);
    await get(adminOfA, { tenant_id: a.id }).expect(200);
    const other = await get(adminOfA, { tenant_id: b.id }).expect(404);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    await get(adminOfA, { tenant_id: randomUUID() }).expect(404);
  });

  it('is for admins only', async () => {
    const user = await createUserViaApi(sut, platform, a.id, ['models:list']);
    const token = await login(sut, a.defaultClient.clientId, user.username, user.password);
    await get(token, {}).expect(403);
    await sut.http().get('/admin/audit-events').expect(401);
  });

  it('refuses bad filters with 400 naming the field', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ since: 'yesterday' }, 'since'],
      [{ since: '2030-01-01T00:00:00' }, 'since'],
      [{ until: '2030-02-30T00:00:00Z' }, 'until'],
      [{ tenant_id: 'acme' }, 'tenant_id'],
      [{ colour: 'blue' }, 'colour'],
    ];
    for (const [query, field] of cases) {
      const res = await get(platform, query).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const res = await get(platform, { since: 'yesterday' }).expect(400);
    expect(res.body.errors).toEqual([{ field: 'since', message: 'must be a date-time with an offset, e.g. 2025-01-31T12:00:00Z' }]);
  });
});
