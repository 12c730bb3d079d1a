import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { PasswordHasher } from '../src/users/password-hasher';
import { createTenant } from './support/fixtures';
import { createTestDatabase } from './support/test-database';
import { startApp, testConfig } from './support/test-app';

describe('password hashing threads', () => {
  it('logins still queued for a hashing thread when the app shuts down get their real answer', async () => {
    const db = await createTestDatabase();
    try {
      // One thread and a slow hash (about 0.3 s), so six logins at once are one hashing, one posted
      // to the thread to start next, and four queued.
      const sut = await startApp(testConfig(db, { ARGON2_THREADS: '1', ARGON2_MEMORY_KIB: '65536', ARGON2_ITERATIONS: '20' }));
      const t = await createTenant(sut);
      await sut.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = sut.app.getHttpServer().address() as AddressInfo;
      const form = { grant_type: 'password', client_id: t.publicClientId, username: t.user.username, password: t.user.password };
      const logins = Array.from({ length: 6 }, () => request(`http://127.0.0.1:${port}`).post('/token').type('form').send(form).then((res) => res));
      const hasher = sut.app.get(PasswordHasher);
      const deadline = Date.now() + 10_000;
      while (hasher.waiting < 4) {
        if (Date.now() > deadline) throw new Error(`only ${hasher.waiting} logins queued`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await sut.close();
      const answers = await Promise.all(logins);
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200, 200]);
      for (const { body } of answers) expect(body).toMatchObject({ token_type: 'Bearer', refresh_token: expect.any(String) });
    } finally {
      await db.drop();
    }
  });
});
