import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { RevocationsModule } from '../revocations/revocations.module';
import { TenantDirectoryModule } from '../tenants/tenant-directory';
import { VerifyModule } from '../verify/verify.module';
import { ApiKey } from './api-key.entity';
import { ApiKeyAdminService } from './api-key-admin.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKey]), TenantDirectoryModule, AuditModule, RevocationsModule, VerifyModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeyAdminService],
  exports: [ApiKeysService, ApiKeyAdminService],
})
export class ApiKeysModule {}
