import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LockoutService } from './lockout.service';
import { PasswordHasher } from './password-hasher';
import { UserLockout } from './user-lockout.entity';
import { User } from './user.entity';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, UserLockout])],
  providers: [UsersService, PasswordHasher, LockoutService],
  exports: [UsersService, PasswordHasher, LockoutService],
})
export class UsersModule {}
