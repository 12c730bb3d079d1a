import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KeysModule } from '../keys/keys.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), KeysModule],
  controllers: [HealthController],
})
export class HealthModule {}
