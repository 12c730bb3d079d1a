import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { InvalidInputError } from '../common/domain-errors';
import { OAuthError } from '../common/oauth-error';
import { RevocationsService } from '../revocations/revocations.service';
import { RefreshTokensService } from '../sessions/refresh-tokens.service';
import { passwordProblem } from '../users/password-policy';
import { UsersService } from '../users/users.service';
import type { Principal } from './principal';

export interface MeResponse {
  sub: string;
  username: string | null;
  tenantId: string;
  tenant: string;
  clientId: string;
  scopes: readonly string[];
}

@Injectable()
export class MeService {
  constructor(
    private readonly users: UsersService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly revocations: RevocationsService,
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
  ) {}

  async me(principal: Principal): Promise<MeResponse> {
    const user = await this.users.findById(principal.tenantId, principal.sub).catch(() => null);
    return {
      sub: principal.sub,
      username: user?.username ?? null,
      tenantId: principal.tenantId,
      tenant: principal.tenant,
      clientId: principal.clientId,
      scopes: principal.scopes,
    };
  }

  /**
   * Changes the password and revokes every other session (refresh family) of the user, and every
   * access token issued before the change, this request's own included: its session stays, and
   * its next refresh gets a token issued after the change.
   */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<{ revokedSessions: number }> {
    const user = await this.users.findById(principal.tenantId, principal.sub).catch(() => null);
    if (!user) throw new OAuthError('insufficient_scope', { detail: 'not a user token' });
    if (!(await this.users.verifyPassword(user, currentPassword))) {
      throw new InvalidInputError('is wrong', 'currentPassword');
    }
    const problem = passwordProblem(newPassword, user.username);
    if (problem) throw new InvalidInputError(problem, 'newPassword');
    const newHash = await this.users.hashPassword(newPassword);
    const revokedSessions = await this.dataSource.transaction(async (m) => {
      // A concurrent change got there first: this request's current password is no longer current.
      if (!(await this.users.replacePasswordHash(user, newHash, m))) throw new InvalidInputError('is wrong', 'currentPassword');
      // The session this request comes from is the family that issued its access token.
      const rows: { family_id: string; access_token_expires_at: Date | null }[] = await m.query(
        `SELECT family_id, access_token_expires_at FROM refresh_tokens WHERE access_token_jti = $1`,
        [principal.jti],
      );
      const own = rows[0];
      const revoked = await this.refreshTokens.revokeFamilies(
        { tenantId: user.tenantId, userId: user.id, keepFamilyId: own?.family_id ?? null },
        'password_change',
        m,
      );
      await this.revocations.notBefore(m, user.tenantId, user.id, 'password_change');
      if (own?.access_token_expires_at) {
        await this.revocations.revokeAccessToken(m, { jti: principal.jti, tenantId: user.tenantId, expiresAt: own.access_token_expires_at }, 'password_change');
      }
      await this.audit.record(
        { action: 'user.password_changed', outcome: 'success', tenantId: user.tenantId, actor: user.id, target: user.id, details: { revokedSessions: revoked } },
        m,
      );
      return revoked;
    });
    return { revokedSessions };
  }
}
