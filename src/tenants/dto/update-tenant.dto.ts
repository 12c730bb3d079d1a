import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsString, Length, ValidateNested } from 'class-validator';
import { IfPresent } from '../../common/if-present.decorator';
import { ScopeList } from '../../common/scope-list.decorator';
import type { TenantStatus } from '../tenant.entity';
import { TenantSettingsDto } from './tenant-settings.dto';

export class UpdateTenantDto {
  @ApiPropertyOptional() @IfPresent() @IsString() @Length(1, 200) name?: string;

  @ScopeList('Replaces the offered scopes (platform admins only).', { optional: true })
  scopes?: string[];

  @ApiPropertyOptional({ type: TenantSettingsDto, description: 'Merged into the current settings; null resets a field.' })
  @IfPresent()
  @IsObject()
  @ValidateNested()
  @Type(() => TenantSettingsDto)
  settings?: TenantSettingsDto;

  @ApiPropertyOptional({ enum: ['active', 'suspended'], description: 'Suspend or reactivate (platform admins only).' })
  @IfPresent()
  @IsIn(['active', 'suspended'])
  status?: TenantStatus;
}
