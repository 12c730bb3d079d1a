import { Injectable } from '@nestjs/common';
import { decode } from 'jsonwebtoken';
import { isPlatformAdmin, type Actor } from '../auth/admin-policy';
import { JwtStrategy } from '../auth/jwt.strategy';
import type { Principal } from '../auth/principal';
import { ADMIN_CLI_CLIENT_ID, ADMIN_TENANT_SCOPE, SYSTEM_TENANT_SLUG } from '../auth/scopes';
import { TokenRevocationService } from '../auth/token-revocation.service';
import { TokenService, type TokenRequestContext } from '../auth/token.service';
import { ClientsService } from '../clients/clients.service';
import { OAuthError } from '../common/oauth-error';
import { KeysService } from '../keys/keys.service';
import { TenantsService } from '../tenants/tenants.service';
import { UsersService } from '../users/users.service';
import { ConsoleSessionStore, type ConsoleSession } from './console-session.store';

const NO_TENANT = '00000000-0000-4000-8000-000000000000';
/** Refresh this long before the access token expires, so a page never meets an expired one. */
const REFRESH_MARGIN_S = 30;

export interface ConsoleLogin {
  tenant: string;
  username: string;
  password: string;
}

export type LoginOutcome = { ok: true; cookie: string } | { ok: false; reason: 'credentials' | 'not_admin' };

/** The console's principal and the Actor its writes are audited as. */
export interface ConsoleCaller {
  readonly principal: Principal;
  readonly actor: Actor;
  readonly session: ConsoleSession;
}

/**
 * Console logins are password grants of POST /token (same rules, lockout and audit events),
 * through the tenant's login client; the tokens stay in the server-side session. Every request
 * re-checks the access token as the admin API's bearer guard does (JwtStrategy.validate), so a
 * disabled user, a suspended tenant or a revoked session ends the console session too.
 */
@Injectable()
export class ConsoleAuthService {
  constructor(
    private readonly tokens: TokenService,
    private readonly revocation: TokenRevocationService,
    private readonly jwt: JwtStrategy,
    private readonly tenants: TenantsService,
    private readonly clients: ClientsService,
    private readonly users: UsersService,
    private readonly store: ConsoleSessionStore,
    private readonly keys: KeysService,
  ) {}

  async login(form: ConsoleLogin, context: TokenRequestContext): Promise<LoginOutcome> {
    const clientId = await this.loginClientOf(form.tenant.trim().toLowerCase() || SYSTEM_TENANT_SLUG);
    if (!clientId) {
      // An unknown tenant costs the same argon2id verification as a wrong password.
      await this.users.verifyLogin(NO_TENANT, form.username, form.password);
      return { ok: false, reason: 'credentials' };
    }
    let issued;
    try {
      issued = await this.tokens.exchange({ grant_type: 'password', client_id: clientId, username: form.username, password: form.password }, context);
    } catch (err) {
      if (err instanceof OAuthError && (err.code === 'invalid_grant' || err.code === 'invalid_client' || err.code === 'unauthorized_client')) {
        return { ok: false, reason: 'credentials' };
      }
      throw err;
    }
    const { cookie, session } = this.store.create({ clientId, accessToken: issued.access_token, accessExp: expOf(issued.access_token), refreshToken: issued.refresh_token ?? '' });
    const principal = await this.principalOf(session);
    if (!principal || !(isPlatformAdmin(principal) || principal.scopes.includes(ADMIN_TENANT_SCOPE))) {
      await this.logout(session, context);
      return { ok: false, reason: 'not_admin' };
    }
    return { ok: true, cookie };
  }

  /** The caller behind a session cookie, refreshing its tokens when due; null when it has ended. */
  async resolve(cookie: string | undefined, context: TokenRequestContext): Promise<ConsoleCaller | null> {
    const session = this.store.find(cookie);
    if (!session) return null;
    // A token near its expiry, or signed by a key since revoked, is replaced by a refresh.
    const stale = session.accessExp - REFRESH_MARGIN_S <= Date.now() / 1000 || !this.signedByLiveKey(session.accessToken);
    if (stale && !(await this.refresh(session, context))) {
      this.store.delete(session);
      return null;
    }
    const principal = await this.principalOf(session);
    if (!principal) {
      this.store.delete(session);
      return null;
    }
    const actor: Actor = { id: principal.sub, tenantId: principal.tenantId, platform: isPlatformAdmin(principal), ip: context.ip, userAgent: context.userAgent?.slice(0, 512) ?? null };
    return { principal, actor, session };
  }

  /** Revokes the session's refresh family (and its access tokens) as POST /revoke would. */
  async logout(session: ConsoleSession, context: TokenRequestContext): Promise<void> {
    this.store.delete(session);
    if (!session.refreshToken) return;
    await this.revocation.revoke({ token: session.refreshToken, token_type_hint: 'refresh_token', client_id: session.clientId }, { ...context, authorization: undefined });
  }

  /** One refresh per session at a time: two requests presenting one refresh token would look like reuse (RFC 9700 §4.14.2) and end the login. */
  private refresh(session: ConsoleSession, context: TokenRequestContext): Promise<boolean> {
    session.refreshing ??= this.rotate(session, context).finally(() => {
      session.refreshing = undefined;
    });
    return session.refreshing;
  }

  private async rotate(session: ConsoleSession, context: TokenRequestContext): Promise<boolean> {
    if (!session.refreshToken) return false;
    try {
      const issued = await this.tokens.exchange({ grant_type: 'refresh_token', client_id: session.clientId, refresh_token: session.refreshToken }, { ...context, authorization: undefined });
      session.accessToken = issued.access_token;
      session.accessExp = expOf(issued.access_token);
      session.refreshToken = issued.refresh_token ?? session.refreshToken;
      return true;
    } catch (err) {
      if (err instanceof OAuthError && err.code === 'invalid_grant') return false;
      throw err;
    }
  }

  private signedByLiveKey(jwt: string): boolean {
    const kid = decode(jwt, { complete: true })?.header.kid;
    return typeof kid === 'string' && this.keys.ring.verificationKey(kid) !== null;
  }

  private async principalOf(session: ConsoleSession): Promise<Principal | null> {
    const claims = decode(session.accessToken, { json: true });
    if (!claims || !this.signedByLiveKey(session.accessToken)) return null;
    // The signature was checked when /token issued it to us; the token never left the server.
    return (await this.jwt.validate(claims as Parameters<JwtStrategy['validate']>[0])) || null;
  }

  private async loginClientOf(slug: string): Promise<string | null> {
    if (slug === SYSTEM_TENANT_SLUG) return ADMIN_CLI_CLIENT_ID;
    const tenant = await this.tenants.findBySlug(slug);
    if (!tenant) return null;
    return (await this.clients.findLoginClient(tenant.id))?.clientId ?? null;
  }
}

function expOf(jwt: string): number {
  const claims = decode(jwt, { json: true });
  return typeof claims?.exp === 'number' ? claims.exp : 0;
}
