import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RefreshTokensService } from './refresh-tokens.service';
import { UnconfirmedRotations } from './unconfirmed-rotations';

@Module({
  imports: [AuditModule],
  providers: [RefreshTokensService, UnconfirmedRotations],
  exports: [RefreshTokensService],
})
export class SessionsModule {}
