import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { RevocationsModule } from '../revocations/revocations.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TenantDirectoryModule } from '../tenants/tenant-directory';
import { LockoutService } from './lockout.service';
import { PasswordHasher } from './password-hasher';
import { UserAdminService } from './user-admin.service';
import { UserLockout } from './user-lockout.entity';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, UserLockout]), TenantDirectoryModule, SessionsModule, AuditModule, RevocationsModule],
  controllers: [UsersController],
  providers: [UsersService, UserAdminService, PasswordHasher, LockoutService],
  exports: [UsersService, UserAdminService, PasswordHasher, LockoutService],
})
export class UsersModule {}
