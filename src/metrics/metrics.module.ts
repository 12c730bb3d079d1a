import { Global, Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { VerifyModule } from '../verify/verify.module';
import { MetricsService } from './metrics.service';

/** Global, so the few services that count an event of their own can inject MetricsService. */
@Global()
@Module({
  imports: [KeysModule, VerifyModule],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
