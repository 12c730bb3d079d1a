import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { KeysModule } from '../keys/keys.module';
import { AccessTokenVerifier } from './access-token-verifier';
import { QuotaService } from './quota.service';
import { RevocationCache } from './revocation-cache';
import { registerVerifyRoute } from './verify.route';
import { VerifyService } from './verify.service';

/** GET /verify and the caches behind it; AccessTokenVerifier also serves /introspect and /revoke. */
@Module({
  imports: [KeysModule],
  providers: [RevocationCache, AccessTokenVerifier, QuotaService, VerifyService],
  // QuotaService for the tessera_quota_store_degraded gauge.
  exports: [RevocationCache, AccessTokenVerifier, QuotaService],
})
export class VerifyModule implements OnModuleInit {
  constructor(
    private readonly http: HttpAdapterHost,
    private readonly verify: VerifyService,
  ) {}

  onModuleInit(): void {
    // An application context without an HTTP server (the operator CLI) has no adapter: no route.
    if (this.http.httpAdapter) registerVerifyRoute(this.http.httpAdapter.getInstance(), this.verify);
  }
}
