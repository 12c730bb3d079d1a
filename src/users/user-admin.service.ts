import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager, type Repository } from 'typeorm';
import { checkChangeable, grantableScopes, type Actor } from '../auth/admin-policy';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { isUniqueViolation } from '../common/database-errors';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import { keysetPage, type Page, type PageQuery } from '../common/pagination';
import { RevocationsService, type NotBeforeReason } from '../revocations/revocations.service';
import { RefreshTokensService, type SessionSummary } from '../sessions/refresh-tokens.service';
import { TenantDirectory } from '../tenants/tenant-directory';
import type { CreateUserDto } from './dto/create-user.dto';
import type { UpdateUserDto } from './dto/update-user.dto';
import { toUserResponse, type UserResponse } from './dto/user.response';
import { PasswordHasher } from './password-hasher';
import { passwordProblem } from './password-policy';
import { UserLockout } from './user-lockout.entity';
import { User } from './user.entity';
import { usernameKey } from './username';

/** Users as tenant and platform admins manage them (contract 5). Every lookup is by (tenant, id). */
@Injectable()
export class UserAdminService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(UserLockout) private readonly lockouts: Repository<UserLockout>,
    private readonly dataSource: DataSource,
    private readonly directory: TenantDirectory,
    private readonly hasher: PasswordHasher,
    private readonly sessions: RefreshTokensService,
    private readonly revocations: RevocationsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, tenantId: string, dto: CreateUserDto): Promise<UserResponse> {
    const scopes = grantableScopes(actor, await this.directory.require(tenantId), dto.scopes);
    checkPassword(dto.password, dto.username);
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await this.dataSource.transaction(async (m) => {
        const repo = m.getRepository(User);
        const user = await repo.save(
          repo.create({ tenantId, username: dto.username.normalize('NFKC'), usernameKey: usernameKey(dto.username), passwordHash, scopes }),
        );
        await this.audit.recordAdmin(actor, { action: 'user.created', tenantId, target: user.id, details: { scopes: user.scopes } }, m);
        return toUserResponse(user, null);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('A user with this username exists in the tenant.');
      throw err;
    }
  }

  /** In creation order; `usernamePrefix` keeps users whose username starts with it (as logins compare: NFKC, case-insensitive). */
  async list(tenantId: string, page: PageQuery, filter: { usernamePrefix?: string } = {}): Promise<Page<UserResponse>> {
    await this.directory.require(tenantId);
    const qb = this.users.createQueryBuilder('u').where('u.tenant_id = :tenantId', { tenantId });
    if (filter.usernamePrefix) {
      const prefix = usernameKey(filter.usernamePrefix).replace(/[\\%_]/g, (c) => `\\${c}`);
      qb.andWhere(`u.username_key LIKE :prefix ESCAPE '\\'`, { prefix: `${prefix}%` });
    }
    const { items, nextCursor } = await keysetPage(qb, page, { column: 'created_at', order: 'ASC' });
    const locks = await this.lockedUntil(items.map((u) => u.id));
    return { items: items.map((u) => toUserResponse(u, locks.get(u.id) ?? null)), nextCursor };
  }

  async get(tenantId: string, userId: string): Promise<UserResponse> {
    const user = await this.require(tenantId, userId);
    return toUserResponse(user, (await this.lockedUntil([user.id])).get(user.id) ?? null);
  }

  /** By username, as a login finds it (NFKC, case-insensitive): for the operator CLI. */
  async getByUsername(tenantId: string, username: string): Promise<UserResponse> {
    const user = await this.users.findOneBy({ tenantId, usernameKey: usernameKey(username) });
    if (!user) throw new NotFoundError('No such user.');
    return toUserResponse(user, (await this.lockedUntil([user.id])).get(user.id) ?? null);
  }

  /**
   * Scopes, disable/enable, password reset and unlock. Disabling and a reset revoke every
   * session of the user (and the access tokens issued from them), in the same transaction.
   */
  async update(actor: Actor, tenantId: string, userId: string, dto: UpdateUserDto): Promise<UserResponse> {
    const scopes = dto.scopes === undefined ? undefined : grantableScopes(actor, await this.directory.require(tenantId), dto.scopes);
    const current = await this.require(tenantId, userId);
    checkChangeable(actor, current);
    let passwordHash: string | null = null;
    if (dto.password !== undefined) {
      checkPassword(dto.password, current.username);
      passwordHash = await this.hasher.hash(dto.password);
    }
    return this.dataSource.transaction(async (m) => {
      const user = await this.require(tenantId, userId, m);
      checkChangeable(actor, user);
      const now = this.clock.now();
      const changed: string[] = [];
      let revokeReason: NotBeforeReason | null = null;
      if (scopes !== undefined) {
        user.scopes = scopes;
        changed.push('scopes');
      }
      if (dto.disabled !== undefined && dto.disabled !== (user.disabledAt !== null)) {
        user.disabledAt = dto.disabled ? now : null;
        changed.push(dto.disabled ? 'disabled' : 'enabled');
        if (dto.disabled) revokeReason = 'user_disabled';
      }
      if (passwordHash) {
        user.passwordHash = passwordHash;
        user.passwordChangedAt = now;
        changed.push('password');
        revokeReason ??= 'password_reset';
      }
      if (dto.unlock) {
        await m.getRepository(UserLockout).delete({ userId: user.id });
        changed.push('unlocked');
      }
      user.updatedAt = now;
      const saved = await m.getRepository(User).save(user);
      let revokedSessions = 0;
      if (revokeReason) {
        revokedSessions = await this.sessions.revokeFamilies({ tenantId, userId }, revokeReason, m);
        await this.revocations.notBefore(m, tenantId, userId, revokeReason);
      }
      await this.audit.recordAdmin(actor, { action: 'user.updated', tenantId, target: userId, details: { changed, revokedSessions } }, m);
      const lockedUntil = dto.unlock ? null : ((await this.lockedUntil([userId], m)).get(userId) ?? null);
      return toUserResponse(saved, lockedUntil);
    });
  }

  /** Revokes the user's sessions and the access tokens issued from them, then deletes the user. */
  async delete(actor: Actor, tenantId: string, userId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      checkChangeable(actor, await this.require(tenantId, userId, m));
      const revokedSessions = await this.sessions.revokeFamilies({ tenantId, userId }, 'user_deleted', m);
      await this.revocations.notBefore(m, tenantId, userId, 'user_deleted');
      await m.getRepository(User).delete({ tenantId, id: userId });
      await this.audit.recordAdmin(actor, { action: 'user.deleted', tenantId, target: userId, details: { revokedSessions } }, m);
    });
  }

  async listSessions(tenantId: string, userId: string, page: PageQuery): Promise<Page<SessionSummary>> {
    await this.require(tenantId, userId);
    return this.sessions.listUserFamilies(tenantId, userId, page);
  }

  /** Logs the user out everywhere: every live refresh family and the access tokens issued from it. */
  async revokeSessions(actor: Actor, tenantId: string, userId: string): Promise<{ revokedSessions: number }> {
    return this.dataSource.transaction(async (m) => {
      checkChangeable(actor, await this.require(tenantId, userId, m));
      const revokedSessions = await this.sessions.revokeFamilies({ tenantId, userId }, 'admin_logout', m);
      await this.revocations.notBefore(m, tenantId, userId, 'logout_all');
      await this.audit.recordAdmin(actor, { action: 'user.sessions_revoked', tenantId, target: userId, details: { revokedSessions } }, m);
      return { revokedSessions };
    });
  }

  /** The user, locked for the rest of the transaction when `m` is given; 404 when absent. */
  private async require(tenantId: string, userId: string, m?: EntityManager): Promise<User> {
    const user = m
      ? await m.getRepository(User).findOne({ where: { tenantId, id: userId }, lock: { mode: 'pessimistic_write' } })
      : await this.users.findOneBy({ tenantId, id: userId });
    if (!user) throw new NotFoundError('No such user.');
    return user;
  }

  private async lockedUntil(userIds: string[], m?: EntityManager): Promise<Map<string, Date>> {
    if (!userIds.length) return new Map();
    const repo = m ? m.getRepository(UserLockout) : this.lockouts;
    const now = this.clock.now();
    const rows = await repo.findBy({ userId: In(userIds) });
    return new Map(rows.filter((r) => r.lockedUntil && r.lockedUntil > now).map((r) => [r.userId, r.lockedUntil!]));
  }
}

function checkPassword(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw new InvalidInputError(problem, 'password');
}
