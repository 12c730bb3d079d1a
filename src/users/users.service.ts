import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { Clock } from '../common/clock';
import { HotQueries, type HotStatement } from '../database/hot-queries';
import { MetricsService } from '../metrics/metrics.service';
import type { Tenant } from '../tenants/tenant.entity';
import { LockoutService } from './lockout.service';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { usernameKey } from './username';

/** What a login needs of a user, read with its lockout state in one query. */
export interface LoginUser {
  id: string;
  tenantId: string;
  username: string;
  passwordHash: string;
  scopes: string[];
}

/** What a login needs of the client's tenant, read in the same query. */
export type LoginTenant = Pick<Tenant, 'id' | 'slug' | 'status' | 'scopes' | 'settings'>;

export interface LoginResult {
  /** Null when the tenant no longer exists. */
  tenant: LoginTenant | null;
  /** Null for an unknown user, a wrong password, a locked or a disabled account. */
  user: LoginUser | null;
}

interface LoginRow {
  tenant_id: string;
  tenant_slug: string;
  tenant_status: Tenant['status'];
  tenant_scopes: string[];
  tenant_settings: Tenant['settings'];
  id: string | null;
  username: string;
  password_hash: string;
  scopes: string[];
  disabled: boolean;
  locked: boolean;
  has_lockout: boolean;
}

// Every password login: the tenant, the user and its lockout state in one round trip. The
// tenant row comes back whether or not the username exists.
export const LOGIN: HotStatement = {
  name: 'user_login',
  text: `SELECT t.id AS tenant_id, t.slug AS tenant_slug, t.status AS tenant_status, t.scopes AS tenant_scopes,
                t.settings AS tenant_settings,
                u.id, u.username, u.password_hash, u.scopes, u.disabled_at IS NOT NULL AS disabled,
                COALESCE(l.locked_until > $3, false) AS locked, l.user_id IS NOT NULL AS has_lockout
         FROM tenants t
         LEFT JOIN users u ON u.tenant_id = t.id AND u.username_key = $2
         LEFT JOIN user_lockouts l ON l.user_id = u.id
         WHERE t.id = $1`,
};

export interface NewUser {
  tenantId: string;
  username: string;
  password: string;
  scopes: string[];
}

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);
  /** Lockout writes still in flight, by tenant and username key (see countFailure). */
  private readonly pendingFailures = new Map<string, Promise<void>>();

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hot: HotQueries,
    private readonly hasher: PasswordHasher,
    private readonly lockout: LockoutService,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

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
   * The tenant of the login and the user these credentials log in. Unknown user, wrong
   * password, locked and disabled all cost one argon2id verification and give the same null
   * user; so does an unknown tenant.
   */
  async verifyLogin(tenantId: string, username: string, password: string): Promise<LoginResult> {
    const key = `${tenantId}/${usernameKey(username)}`;
    // This account's last failure is counted before its next attempt is judged.
    await this.pendingFailures.get(key);
    const [row] = await this.hot.rows<LoginRow>(LOGIN, [tenantId, usernameKey(username), this.clock.now()]);
    const tenant: LoginTenant | null = row
      ? { id: row.tenant_id, slug: row.tenant_slug, status: row.tenant_status, scopes: row.tenant_scopes, settings: row.tenant_settings }
      : null;
    if (!row?.id) return this.hasher.verifyDummy(password).then(() => ({ tenant, user: null }));
    const user = { id: row.id, tenantId: row.tenant_id, username: row.username, passwordHash: row.password_hash, scopes: row.scopes };
    const good = await this.hasher.verify(row.password_hash, password);
    if (row.locked) this.metrics.lockedOut.inc();
    if (!good) {
      if (!row.locked) this.countFailure(key, tenantId, row.id);
      return { tenant, user: null };
    }
    if (row.locked || row.disabled) return { tenant, user: null };
    if (row.has_lockout) await this.lockout.clear(row.id);
    if (this.hasher.needsRehash(row.password_hash)) await this.rehash(user, password);
    return { tenant, user };
  }

  async verifyPassword(user: User, password: string): Promise<boolean> {
    return this.hasher.verify(user.passwordHash, password);
  }

  /** The argon2id hash of a new password, made before any transaction opens (it takes tens of ms). */
  hashPassword(password: string): Promise<string> {
    return this.hasher.hash(password);
  }

  /**
   * Replaces the password hash only if it is still the one `user` was read with, so of
   * concurrent changes that each proved the old password exactly one wins; false for the
   * others (their proof is of a password that is no longer the user's).
   */
  async replacePasswordHash(user: User, passwordHash: string, manager: EntityManager): Promise<boolean> {
    const result = await manager
      .getRepository(User)
      .update({ tenantId: user.tenantId, id: user.id, passwordHash: user.passwordHash }, { passwordHash, passwordChangedAt: new Date(), updatedAt: new Date() });
    return (result.affected ?? 0) === 1;
  }

  /**
   * Contract 2.1: a wrong password answers in the time of an unknown username, so the lockout
   * write is not awaited by the request that failed. The next attempt on the same account (on
   * this instance) waits for it, so no failure goes uncounted.
   */
  private countFailure(key: string, tenantId: string, userId: string): void {
    const pending: Promise<void> = (this.pendingFailures.get(key) ?? Promise.resolve())
      .then(() => this.lockout.recordFailure(tenantId, userId))
      .catch((err: Error) => this.logger.warn(`could not count a failed login of user ${userId}: ${err.message}`))
      .finally(() => {
        if (this.pendingFailures.get(key) === pending) this.pendingFailures.delete(key);
      });
    this.pendingFailures.set(key, pending);
  }

  /** A hash made with older argon2 parameters is upgraded on the next good login. */
  private async rehash(user: LoginUser, password: string): Promise<void> {
    try {
      // Only over the hash it verified: a password changed meanwhile must not come back.
      await this.users.update({ tenantId: user.tenantId, id: user.id, passwordHash: user.passwordHash }, { passwordHash: await this.hasher.hash(password) });
    } catch (err) {
      this.logger.warn(`could not upgrade the password hash of user ${user.id}: ${(err as Error).message}`);
    }
  }
}
