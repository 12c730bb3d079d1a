import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { registerJwksRoute } from './jwks.route';
import { KeysHealthIndicator } from './keys-health.indicator';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';
import { MetadataController } from './metadata.controller';
import { Signer } from './signer';
import { SigningKey } from './signing-key.entity';

@Module({
  imports: [TypeOrmModule.forFeature([SigningKey]), TerminusModule, AuditModule],
  controllers: [MetadataController, KeysController],
  providers: [KeysService, Signer, KeysHealthIndicator],
  exports: [KeysService, Signer, KeysHealthIndicator],
})
export class KeysModule implements OnModuleInit {
  constructor(
    private readonly http: HttpAdapterHost,
    private readonly keys: KeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // An application context without an HTTP server (the operator CLI) has no adapter: no route.
    if (this.http.httpAdapter) registerJwksRoute(this.http.httpAdapter.getInstance(), this.keys, this.config.jwksMaxAge);
  }
}
