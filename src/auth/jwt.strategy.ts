import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Clock } from '../common/clock';
import { decode } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { KeysService } from '../keys/keys.service';
import { RevocationsService } from '../revocations/revocations.service';
import { RefreshTokensService } from '../sessions/refresh-tokens.service';
import { TenantDirectory } from '../tenants/tenant-directory';
import { UsersService } from '../users/users.service';
import type { Principal } from './principal';

const CLOCK_TOLERANCE = 30;

interface AccessClaims {
  exp: number;
  iat: number;
  nbf?: number;
  sub: string;
  tenant_id: string;
  tenant: string;
  client_id: string;
  scope?: string;
  jti: string;
}

/**
 * Verifies this service's own RFC 9068 access tokens for the admin API and /me: signature
 * by a published, unrevoked key of the ring, RS256/ES256 only, typ at+jwt, issuer, audience;
 * then expiry and not-before against the service's Clock (30 s tolerance), that the jti is
 * not revoked, the token not issued before a not-before of its subject or tenant (logout-all,
 * password change, a revoked API key), the tenant active and the user (for user tokens) still
 * there and enabled.
 * (jsonwebtoken, under passport-jwt, has no EdDSA.)
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    keys: KeysService,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
    private readonly sessions: RefreshTokensService,
    private readonly tenants: TenantDirectory,
    private readonly users: UsersService,
    private readonly revocations: RevocationsService,
    private readonly dataSource: DataSource,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      issuer: config.issuer,
      audience: config.defaultAudience,
      algorithms: ['RS256', 'ES256'],
      // Time claims are checked in validate() against the Clock every other part uses.
      jsonWebTokenOptions: { ignoreExpiration: true, ignoreNotBefore: true },
      secretOrKeyProvider: (_req, rawJwt, done) => {
        const header = decode(rawJwt, { complete: true })?.header;
        const found = header?.typ === 'at+jwt' && header.kid ? keys.ring.verificationKey(header.kid) : null;
        if (!found) return done(new Error('not an access token of an accepted key'));
        // jsonwebtoken takes the KeyObject as is; the typings only name strings and buffers.
        done(null, found.key as unknown as Buffer);
      },
    });
  }

  async validate(claims: AccessClaims): Promise<Principal | false> {
    const now = this.clock.nowSeconds();
    if (typeof claims.exp !== 'number' || claims.exp + CLOCK_TOLERANCE <= now) return false;
    if (typeof claims.nbf === 'number' && claims.nbf - CLOCK_TOLERANCE > now) return false;
    if (typeof claims.iat !== 'number') return false;
    const [revoked, tenant, notBefore] = await Promise.all([
      this.sessions.isAccessTokenRevoked(claims.jti),
      this.tenants.findById(claims.tenant_id),
      this.revocations.notBeforeOf(this.dataSource.manager, claims.tenant_id, claims.sub),
    ]);
    if (revoked || !tenant || tenant.status !== 'active' || claims.iat < notBefore) return false;
    // A client_credentials token names its client (or API key) as its subject; any other token
    // is a user's, and stops working when that user is disabled or deleted.
    if (claims.sub !== claims.client_id) {
      const user = await this.users.findById(claims.tenant_id, claims.sub).catch(() => null);
      if (!user || user.disabledAt) return false;
    }
    return {
      sub: claims.sub,
      tenantId: claims.tenant_id,
      tenant: claims.tenant,
      clientId: claims.client_id,
      scopes: claims.scope ? claims.scope.split(' ') : [],
      jti: claims.jti,
    };
  }
}
