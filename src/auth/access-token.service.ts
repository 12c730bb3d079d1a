import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Signer } from '../keys/signer';
import type { TenantSettings } from '../tenants/tenant.entity';

export interface AccessTokenSubject {
  tenant: { id: string; slug: string; settings: TenantSettings };
  /** The user id, or for client_credentials the client or API key id. */
  sub: string;
  clientId: string;
  audience: string | null;
  scope: readonly string[];
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  expiresAt: Date;
}

/** RFC 9068 access tokens (contract 2.2): header typ at+jwt with the current kid. */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly signer: Signer,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  lifetime(settings: TenantSettings): number {
    return settings.accessTokenTtl ?? this.config.tokens.accessTtl;
  }

  /** The jti and expiry are fixed before signing so a refresh rotation can record them first. */
  prepare(settings: TenantSettings): { jti: string; iat: number; expiresIn: number; expiresAt: Date } {
    const iat = this.clock.nowSeconds();
    const expiresIn = this.lifetime(settings);
    return { jti: randomUUID(), iat, expiresIn, expiresAt: new Date((iat + expiresIn) * 1000) };
  }

  async issue(subject: AccessTokenSubject, prepared = this.prepare(subject.tenant.settings)): Promise<IssuedAccessToken> {
    const { jti, iat, expiresIn, expiresAt } = prepared;
    const { token } = await this.signer.sign({
      iss: this.config.issuer,
      sub: subject.sub,
      aud: subject.audience ?? this.config.defaultAudience,
      exp: iat + expiresIn,
      iat,
      nbf: iat,
      jti,
      client_id: subject.clientId,
      scope: subject.scope.join(' '),
      tenant_id: subject.tenant.id,
      tenant: subject.tenant.slug,
    });
    return { token, jti, expiresIn, expiresAt };
  }
}
