import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Argon2Pool, Argon2PoolError } from './argon2-pool';

// Algorithm.Argon2id: @node-rs/argon2 declares its Algorithm enum as an ambient const enum
// with no runtime value, which isolated-module builds cannot inline.
const ARGON2ID = 2;

/** argon2id with the configured cost (OWASP: m=19456 KiB, t=2, p=1 by default). */
@Injectable()
export class PasswordHasher implements OnApplicationShutdown {
  private readonly options;
  private readonly params: string;
  private readonly pool: Argon2Pool;
  private dummyHash: Promise<string> | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { memoryKib, iterations, parallelism, threads, niceness } = config.argon2;
    this.options = { algorithm: ARGON2ID, memoryCost: memoryKib, timeCost: iterations, parallelism };
    this.params = `m=${memoryKib},t=${iterations},p=${parallelism}`;
    this.pool = new Argon2Pool(threads, niceness);
  }

  /** After the HTTP server has drained, so no login in flight loses its verification. */
  onApplicationShutdown(): Promise<void> {
    return this.pool.close();
  }

  /** Passwords waiting for a hashing thread: a login flood shows here first. */
  get waiting(): number {
    return this.pool.waiting;
  }

  hash(password: string): Promise<string> {
    return this.pool.hash(password, this.options);
  }

  /** False for a wrong password or an unreadable hash; a pool failure is thrown, never read as a wrong password. */
  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await this.pool.verify(passwordHash, password);
    } catch (err) {
      if (err instanceof Argon2PoolError) throw err;
      return false;
    }
  }

  /**
   * Burns the same time as verify() for a user that does not exist, so a wrong username
   * and a wrong password cannot be told apart by timing.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash('tessera-dummy-password-for-timing');
    await this.verify(await this.dummyHash, password);
    return false;
  }

  /** True when the hash was made with other parameters than the configured ones. */
  needsRehash(passwordHash: string): boolean {
    const [, algorithm, version, params] = passwordHash.split('$');
    return algorithm !== 'argon2id' || version !== 'v=19' || params !== this.params;
  }
}
