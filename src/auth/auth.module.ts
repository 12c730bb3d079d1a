import { Module, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { RevocationsModule } from '../revocations/revocations.module';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TenantsModule } from '../tenants/tenants.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { TokenThrottle } from '../throttling/token-throttle';
import { UsersModule } from '../users/users.module';
import { AccessTokenService } from './access-token.service';
import { ClientAuthService } from './client-auth.service';
import { ClientCredentialsGrant } from './grants/client-credentials.grant';
import { GRANT_HANDLERS } from './grants/grant';
import { PasswordGrant } from './grants/password.grant';
import { RefreshTokenGrant } from './grants/refresh-token.grant';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { MeController } from './me.controller';
import { MeService } from './me.service';
import { ScopesGuard } from './scopes.guard';
import { TokenController } from './token.controller';
import { registerTokenRoute } from './token.route';
import { TokenService } from './token.service';
import { IntrospectionService } from './introspection.service';
import { TokenRevocationService } from './token-revocation.service';
import { VerifyModule } from '../verify/verify.module';

const GRANTS = [PasswordGrant, RefreshTokenGrant, ClientCredentialsGrant];

@Module({
  imports: [VerifyModule, PassportModule, ThrottlingModule, KeysModule, TenantsModule, UsersModule, ClientsModule, ApiKeysModule, SessionsModule, AuditModule, RevocationsModule],
  controllers: [TokenController, MeController],
  providers: [
    AccessTokenService,
    ClientAuthService,
    TokenService,
    IntrospectionService,
    TokenRevocationService,
    MeService,
    JwtStrategy,
    ...GRANTS,
    { provide: GRANT_HANDLERS, inject: GRANTS, useFactory: (...handlers: unknown[]) => handlers },
    // Order matters: authenticate, then check scopes.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: ScopesGuard },
  ],
  exports: [AccessTokenService, ClientAuthService, TokenService, TokenRevocationService, JwtStrategy],
})
export class AuthModule implements OnModuleInit {
  constructor(
    private readonly http: HttpAdapterHost,
    private readonly tokens: TokenService,
    private readonly throttle: TokenThrottle,
  ) {}

  onModuleInit(): void {
    // An application context without an HTTP server (the operator CLI) has no adapter: no route.
    if (this.http.httpAdapter) registerTokenRoute(this.http.httpAdapter.getInstance(), this.tokens, this.throttle);
  }
}
