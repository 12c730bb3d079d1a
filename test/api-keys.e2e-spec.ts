import { createTenant } from './support/fixtures';
import { FakeClock } from './support/fake-clock';
import { createTestApp, type TestApp } from './support/test-app';

describe('API keys at the token endpoint', () => {
  let sut: TestApp;
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    sut = await createTestApp({}, { clock });
  });

  afterAll(async () => {
    await sut.close();
  });

  const lastUsed = async (id: string): Promise<number | null> => {
    // The write is off the request's path: give it a moment to land.
    await new Promise((r) => setTimeout(r, 150));
    const [{ last_used_at }] = await sut.dataSource.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [id]);
    return last_used_at ? new Date(last_used_at).getTime() : null;
  };

  it('are stored only as a hash and record last use at most once a minute', async () => {
    const t = await createTenant(sut);
    const [row] = await sut.dataSource.query(`SELECT * FROM api_keys WHERE id = $1`, [t.apiKey.id]);
    expect(JSON.stringify(row)).not.toContain(t.apiKey.key.slice(4));
    expect(row.key_prefix).toBe(t.apiKey.key.slice(0, 10));

    const use = () =>
      sut.http().post('/token').type('form').send({ grant_type: 'client_credentials', client_id: t.apiKey.id, client_secret: t.apiKey.key }).expect(200);
    expect(await lastUsed(t.apiKey.id)).toBeNull();
    await use();
    const first = await lastUsed(t.apiKey.id);
    expect(first).toBe(clock.now().getTime());
    clock.advance(30);
    await use();
    expect(await lastUsed(t.apiKey.id)).toBe(first);
    clock.advance(31);
    await use();
    expect(await lastUsed(t.apiKey.id)).toBe(clock.now().getTime());
  });
});
