import { DynamicModule, Module } from '@nestjs/common';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ClientsModule } from './clients/clients.module';
import { ConsoleModule } from './console/console.module';
import { CommonModule } from './common/common.module';
import type { Clock } from './common/clock';
import type { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { KeysModule } from './keys/keys.module';
import { TenantsModule } from './tenants/tenants.module';
import { UsersModule } from './users/users.module';
import { VerifyModule } from './verify/verify.module';
import { RevocationsModule } from './revocations/revocations.module';
import { RevocationFeedModule } from './revocations/feed/revocation-feed.module';

export interface AppOptions {
  readonly clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule.forRoot(options.clock),
        DatabaseModule,
        AuditModule,
        TenantsModule,
        UsersModule,
        ClientsModule,
        ApiKeysModule,
        KeysModule,
        MetricsModule,
        RevocationsModule,
        VerifyModule,
        AuthModule,
        RevocationFeedModule,
        HealthModule,
        ConsoleModule,
      ],
    };
  }
}
