import { createTenant } from './support/fixtures';
import { startApp, testConfig, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

// Needs a Redis server: CI sets TEST_REDIS_URL (the machine's local Redis). Without it this
// contract point (counts shared across instances) is not exercised.
const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = redisUrl ? describe : describe.skip;

describeWithRedis('throttling across instances (REDIS_URL)', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await db.drop();
  });

  it('counts a client IP’s attempts on every instance together', async () => {
    // Counts are keyed by route and client IP: a random client address per run keeps runs
    // apart in a Redis they share.
    const config = testConfig(db, { REDIS_URL: redisUrl!, THROTTLE_PER_IP: '4/60s', TRUST_PROXY: 'true' });
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}-${Date.now()}`;
    apps.push(await startApp(config), await startApp(config));
    const t = await createTenant(apps[0]);
    const attempt = (app: TestApp) =>
      app.http().post('/token').set('x-forwarded-for', ip).type('form').send({ grant_type: 'password', client_id: t.publicClientId, username: 'x', password: 'y' });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt(apps[i % 2])).status);
    expect(statuses).toEqual([400, 400, 400, 400, 429, 429]);
  });
});
