import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RefreshTokensService } from './refresh-tokens.service';

@Module({
  imports: [AuditModule],
  providers: [RefreshTokensService],
  exports: [RefreshTokensService],
})
export class SessionsModule {}
