import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { RevocationCache } from '../src/verify/revocation-cache';
import { createTenant } from './support/fixtures';
import { createTestApp, TEST_ADMIN_PASSWORD, type TestApp } from './support/test-app';

interface Family {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[];
}

/** Contract 3: GET /metrics in the Prometheus text format, with no id in any label. */
describe('GET /metrics', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({ LOCKOUT_AFTER: '2/15m', THROTTLE_PER_SUBJECT: '1000/60s' });
  });

  afterAll(async () => {
    await sut.close();
  });

  const scrape = async (): Promise<Map<string, Family>> => {
    const res = await sut.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return new Map((parsePrometheusTextFormat(res.text) as Family[]).map((f) => [f.name, f]));
  };
  const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number => {
    const family = families.get(name);
    const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return Number(sample?.value ?? sample?.count ?? 0);
  };

  it('counts the JWKS answers given before Fastify as those Fastify gives', async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) await sut.http().get('/.well-known/jwks.json').expect(200);
    await sut.http().get('/.well-known/jwks.json?through=fastify').expect(200);
    const after = await scrape();
    const labels = { route: '/.well-known/jwks.json', method: 'GET', status: '200' };
    expect(value(after, 'tessera_http_requests_total', labels) - value(before, 'tessera_http_requests_total', labels)).toBe(4);
  });

  it('lists every family, and they move with a login, a refusal, a reuse and /verify', async () => {
    const before = await scrape();
    for (const name of [
      'tessera_http_requests_total',
      'tessera_http_request_duration_seconds',
      'tessera_signing_key_current_age_seconds',
      'tessera_signing_key_next_rotation_seconds',
      'tessera_revocation_cache_age_seconds',
      'tessera_argon2_queue_length',
      'tessera_db_pool_connections',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect({ name, present: before.has(name) }).toEqual({ name, present: true });
    }
    expect(value(before, 'tessera_signing_key_next_rotation_seconds')).toBeGreaterThan(29 * 86400);

    const t = await createTenant(sut);
    const token = (form: Record<string, string>) => sut.http().post('/token').type('form').send(form);
    const login = await token({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password }).expect(200);
    await token({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: 'wrong-password-1' }).expect(400);
    const rotated = await token({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: login.body.refresh_token }).expect(200);
    await token({ grant_type: 'refresh_token', client_id: t.publicClientId, refresh_token: login.body.refresh_token }).expect(400);
    // The reuse revoked the family's access tokens; /verify sees it once its cache catches up.
    await sut.app.get(RevocationCache).refresh();
    await sut.http().get('/verify').set({ authorization: `Bearer ${rotated.body.access_token}`, 'x-original-method': 'GET', 'x-original-uri': '/v1/models' }).expect(401);
    await sut.http().get('/verify').set({ 'x-api-key': t.apiKey.key, 'x-original-method': 'GET', 'x-original-uri': '/v1/models' }).expect(204);
    // Lock the account (LOCKOUT_AFTER 2), then try again.
    await token({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: 'wrong-password-2' }).expect(400);
    await new Promise((r) => setTimeout(r, 200));
    await token({ grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password }).expect(400);

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    expect(moved('tessera_grants_total', { grant_type: 'password', outcome: 'success' })).toBe(1);
    expect(moved('tessera_grants_total', { grant_type: 'password', outcome: 'invalid_grant' })).toBe(3);
    expect(moved('tessera_grants_total', { grant_type: 'refresh_token', outcome: 'success' })).toBe(1);
    expect(moved('tessera_refresh_reuse_detected_total')).toBe(1);
    expect(moved('tessera_locked_out_logins_total')).toBe(1);
    expect(moved('tessera_verify_decisions_total', { outcome: 'unauthenticated' })).toBe(1);
    expect(moved('tessera_verify_decisions_total', { outcome: 'allowed' })).toBe(1);
    expect(moved('tessera_http_requests_total', { route: '/token', method: 'POST', status: '200' })).toBe(2);
    // The parser keeps a histogram's buckets (it drops their labels): check they fill.
    const histogram = after.get('tessera_http_request_duration_seconds')!;
    expect(histogram.type).toBe('HISTOGRAM');
    expect(Number(histogram.metrics[0].buckets?.['+Inf'])).toBeGreaterThan(0);
  });

  it('counts throttled OAuth requests', async () => {
    const small = await createTestApp({ THROTTLE_PER_IP: '2/60s' });
    try {
      for (let i = 0; i < 3; i++) await small.http().post('/token').type('form').send({ grant_type: 'nope' });
      const res = await small.http().get('/metrics').expect(200);
      const families = new Map((parsePrometheusTextFormat(res.text) as Family[]).map((f) => [f.name, f]));
      expect(value(families, 'tessera_throttled_total', { route: '/token' })).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('has no tenant, user, client or token id in any label', async () => {
    const t = await createTenant(sut);
    await sut.http().get(`/admin/tenants/${t.tenantId}`).expect(401);
    await sut.http().post('/token').type('form').send({ grant_type: 'password', client_id: 'admin-cli', username: 'admin', password: TEST_ADMIN_PASSWORD }).expect(200);
    const res = await sut.http().get('/metrics').expect(200);
    const labels = (parsePrometheusTextFormat(res.text) as Family[]).flatMap((f) => f.metrics.flatMap((m) => Object.values(m.labels ?? {})));
    const ids = labels.filter((v) => /[0-9a-f]{8}-[0-9a-f]{4}-|tsk_|eyJ/.test(v) || v === 'admin-cli' || v === t.slug);
    expect(ids).toEqual([]);
    expect(labels).toContain('/admin/tenants/:tenantId');
  });

  it('is not served with METRICS_ENABLED=false', async () => {
    const off = await createTestApp({ METRICS_ENABLED: 'false' });
    try {
      await off.http().get('/metrics').expect(404);
    } finally {
      await off.close();
    }
  });
});
