import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { RevocationsModule } from '../revocations/revocations.module';
import { ClientsModule } from '../clients/clients.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { VerifyModule } from '../verify/verify.module';
import { SystemTenantBootstrap } from './system-tenant.bootstrap';
import { Tenant } from './tenant.entity';
import { TenantDirectoryModule } from './tenant-directory';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TypeOrmModule.forFeature([Tenant]), TenantDirectoryModule, UsersModule, ClientsModule, SessionsModule, AuditModule, RevocationsModule, VerifyModule],
  controllers: [TenantsController],
  providers: [TenantsService, SystemTenantBootstrap],
  exports: [TenantsService, TenantDirectoryModule],
})
export class TenantsModule {}
