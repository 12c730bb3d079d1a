import { Module } from '@nestjs/common';
import { PruneService } from './prune.service';
import { RevocationsService } from './revocations.service';

@Module({
  providers: [RevocationsService, PruneService],
  exports: [RevocationsService, PruneService],
})
export class RevocationsModule {}
