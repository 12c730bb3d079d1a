import { loadConfig } from '../config/config';
import { Argon2PoolError } from './argon2-pool';
import { PasswordHasher } from './password-hasher';

describe(PasswordHasher.name, () => {
  let sut: PasswordHasher;

  beforeEach(() => {
    sut = new PasswordHasher(loadConfig({}));
  });
  afterEach(() => sut.onApplicationShutdown());

  it('hashes with argon2id at the OWASP parameters and verifies', async () => {
    const hash = await sut.hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(sut.verify(hash, 'correct horse battery')).resolves.toBe(true);
    await expect(sut.verify(hash, 'wrong horse battery')).resolves.toBe(false);
  });

  it('answers false, not an error, for a malformed hash', async () => {
    await expect(sut.verify('not-a-hash', 'x')).resolves.toBe(false);
  });

  it('throws when its threads cannot verify, rather than answering "wrong password"', async () => {
    const hash = await sut.hash('correct horse battery');
    await sut.onApplicationShutdown();
    await expect(sut.verify(hash, 'correct horse battery')).rejects.toBeInstanceOf(Argon2PoolError);
  });

  it('asks for a re-hash when the parameters changed', async () => {
    const weaker = new PasswordHasher(loadConfig({ ARGON2_MEMORY_KIB: '8192', ARGON2_ITERATIONS: '1' }));
    try {
      const old = await weaker.hash('correct horse battery');
      expect(old).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
      expect(sut.needsRehash(old)).toBe(true);
      expect(sut.needsRehash(await sut.hash('correct horse battery'))).toBe(false);
    } finally {
      await weaker.onApplicationShutdown();
    }
  });

  it('spends a real verification on the dummy path', async () => {
    await expect(sut.verifyDummy('anything')).resolves.toBe(false);
  });
});
