import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { IfPresent } from '../../common/if-present.decorator';
import { ScopeList } from '../../common/scope-list.decorator';
import { TenantSettingsDto } from './tenant-settings.dto';

export const SLUG_FORMAT = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class CreateTenantDto {
  @ApiProperty({ example: 'acme', description: 'Unique, URL-safe: lower-case letters, digits and inner hyphens, at most 63.' })
  @IsString()
  @Length(1, 63)
  @Matches(SLUG_FORMAT, { message: 'must be lower-case letters, digits and inner hyphens' })
  slug: string;

  @ApiProperty({ example: 'Acme' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ScopeList('Scopes the tenant offers its users, clients and API keys. Default: the built-in inference scopes.', { optional: true })
  scopes?: string[];

  @ApiPropertyOptional({ type: TenantSettingsDto })
  @IfPresent()
  @IsObject()
  @ValidateNested()
  @Type(() => TenantSettingsDto)
  settings?: TenantSettingsDto;
}
