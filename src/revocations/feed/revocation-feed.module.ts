import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import { VerifyModule } from '../../verify/verify.module';
import { RevocationFeedController } from './revocation-feed.controller';
import { RevocationFeedService } from './revocation-feed.service';

@Module({
  imports: [AuthModule, VerifyModule],
  controllers: [RevocationFeedController],
  providers: [RevocationFeedService],
})
export class RevocationFeedModule {}
