import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { LockoutService } from './lockout.service';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { usernameKey } from './username';

export interface NewUser {
  tenantId: string;
  username: string;
  password: string;
  scopes: string[];
}

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
    private readonly lockout: LockoutService,
  ) {}

  findByUsername(tenantId: string, username: string): Promise<User | null> {
    return this.users.findOneBy({ tenantId, usernameKey: usernameKey(username) });
  }

  findById(tenantId: string, id: string): Promise<User | null> {
    return this.users.findOneBy({ tenantId, id });
  }

  async insert(input: NewUser, manager?: EntityManager): Promise<User> {
    const repo = manager ? manager.getRepository(User) : this.users;
    const user = repo.create({
      tenantId: input.tenantId,
      username: input.username.normalize('NFKC'),
      usernameKey: usernameKey(input.username),
      passwordHash: await this.hasher.hash(input.password),
      scopes: input.scopes,
    });
    return repo.save(user);
  }

  /**
   * The user these credentials log in, or null. Unknown user, wrong password, locked and
   * disabled all cost one argon2id verification and give the same null.
   */
  async verifyLogin(tenantId: string, username: string, password: string): Promise<User | null> {
    const user = await this.findByUsername(tenantId, username);
    if (!user) return this.hasher.verifyDummy(password).then(() => null);
    const [locked, valid] = await Promise.all([this.lockout.isLocked(user.id), this.hasher.verify(user.passwordHash, password)]);
    if (!valid) {
      if (!locked) await this.lockout.recordFailure(tenantId, user.id);
      return null;
    }
    if (locked || user.disabledAt) return null;
    await this.lockout.clear(user.id);
    if (this.hasher.needsRehash(user.passwordHash)) await this.rehash(user, password);
    return user;
  }

  async verifyPassword(user: User, password: string): Promise<boolean> {
    return this.hasher.verify(user.passwordHash, password);
  }

  async setPassword(user: User, password: string): Promise<void> {
    await this.users.update(
      { tenantId: user.tenantId, id: user.id },
      { passwordHash: await this.hasher.hash(password), passwordChangedAt: new Date(), updatedAt: new Date() },
    );
  }

  /** A hash made with older argon2 parameters is upgraded on the next good login. */
  private async rehash(user: User, password: string): Promise<void> {
    try {
      await this.users.update({ tenantId: user.tenantId, id: user.id }, { passwordHash: await this.hasher.hash(password) });
    } catch (err) {
      this.logger.warn(`could not upgrade the password hash of user ${user.id}: ${(err as Error).message}`);
    }
  }
}
