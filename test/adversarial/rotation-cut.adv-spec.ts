import { createTenant, type TenantFixture } from '../support/fixtures';
import type { TestApp } from '../support/test-app';
import { proxiedDatabase, type ProxiedApp } from '../support/proxied-app';

/** The rotation statement: by its prepared name on a server, by its text on the embedded database. */
const ROTATION = /refresh_rotate|successor_hash/;

/**
 * The connection to the database breaks in the middle of a refresh rotation, before the
 * statement reaches the server or after the server committed it and before its answer comes
 * back. Afterwards exactly one of the old and the new refresh token works: never neither (the
 * user logged out by a network fault), never both (a rotation that did not rotate).
 */
describe('a database connection cut in the middle of a refresh rotation', () => {
  let env: ProxiedApp;
  let sut: TestApp;

  beforeAll(async () => {
    env = await proxiedDatabase();
    sut = await env.start({ DATABASE_POOL_SIZE: '2' });
  });

  afterAll(async () => {
    await env.close();
  });

  const refresh = (t: TenantFixture, refreshToken: string) =>
    sut.http().post('/token').type('form').send({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: refreshToken });

  /** Retries a 503 for a few seconds: the client's part after a fault. */
  async function refreshSoon(t: TenantFixture, refreshToken: string) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await refresh(t, refreshToken);
      if (res.status !== 503 || Date.now() > deadline) return res;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  for (const point of ['request', 'answer'] as const) {
    it(`when the ${point === 'request' ? 'statement is lost on its way' : 'committed answer is lost on its way back'}`, async () => {
      const t = await createTenant(sut);
      const login = await sut
        .http()
        .post('/token')
        .type('form')
        .send({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password })
        .expect(200);
      const old = login.body.refresh_token as string;
      const sprung = env.proxy.trap(ROTATION, point);
      const faulted = await refresh(t, old);
      await sprung;
      expect([200, 503]).toContain(faulted.status);
      if (faulted.status === 503) {
        expect(faulted.body).toEqual({ error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again later.' });
        // The client kept the old token, as it got no new one: that token must still work.
        const retried = await refreshSoon(t, old);
        expect({ status: retried.status, body: retried.body.error }).toEqual({ status: 200, body: undefined });
        await refresh(t, retried.body.refresh_token).expect(200);
        // A rotation that had committed was undone, and the audit trail says so.
        const [{ n }] = await sut.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1 AND action = 'token.refresh_undone'`, [t.tenantId]);
        expect(n).toBe(point === 'answer' ? 1 : 0);
      } else {
        // The app recovered the answer: the new token works, and the old one is spent.
        await refresh(t, faulted.body.refresh_token).expect(200);
        await refresh(t, old).expect(400);
      }
    });
  }
});
