import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { RevocationsModule } from '../revocations/revocations.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TenantDirectoryModule } from '../tenants/tenant-directory';
import { Client } from './client.entity';
import { ClientAdminService } from './client-admin.service';
import { ClientsController } from './clients.controller';
import { ClientsService } from './clients.service';

@Module({
  imports: [TypeOrmModule.forFeature([Client]), TenantDirectoryModule, SessionsModule, AuditModule, RevocationsModule],
  controllers: [ClientsController],
  providers: [ClientsService, ClientAdminService],
  exports: [ClientsService, ClientAdminService],
})
export class ClientsModule {}
