import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { JwksController } from './jwks.controller';
import { KeysHealthIndicator } from './keys-health.indicator';
import { KeysService } from './keys.service';
import { MetadataController } from './metadata.controller';
import { Signer } from './signer';
import { SigningKey } from './signing-key.entity';

@Module({
  imports: [TypeOrmModule.forFeature([SigningKey]), JwtModule.register({}), TerminusModule, AuditModule],
  controllers: [JwksController, MetadataController],
  providers: [KeysService, Signer, KeysHealthIndicator],
  exports: [KeysService, Signer, KeysHealthIndicator],
})
export class KeysModule {}
