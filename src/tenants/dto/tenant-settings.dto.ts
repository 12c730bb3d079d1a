import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';

const YEAR = 365 * 86400;

/** Contract 2.7 quotas; unset means unlimited. Only a platform admin may change them. */
export class TenantQuotaDto {
  @ApiPropertyOptional({ minimum: 1, nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(1e9) perSubjectPerMinute?: number | null;
  @ApiPropertyOptional({ minimum: 1, nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(1e9) perSubjectPerDay?: number | null;
  @ApiPropertyOptional({ minimum: 1, nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(1e9) perTenantPerMinute?: number | null;
}

/**
 * A tenant's overrides of the configured defaults, in seconds. In a PATCH a field set to null
 * goes back to the default (RFC 7396 merge semantics); an absent field is left as it is.
 */
export class TenantSettingsDto {
  @ApiPropertyOptional({ minimum: 300, maximum: 3600, nullable: true, description: 'Access-token lifetime (contract: 5 to 60 minutes).' })
  @IsOptional()
  @IsInt()
  @Min(300)
  @Max(3600)
  accessTokenTtl?: number | null;

  @ApiPropertyOptional({ minimum: 300, maximum: YEAR, nullable: true, description: 'Absolute lifetime of a login (refresh family).' })
  @IsOptional()
  @IsInt()
  @Min(300)
  @Max(YEAR)
  refreshTokenTtl?: number | null;

  @ApiPropertyOptional({ minimum: 300, maximum: YEAR, nullable: true, description: 'Idle lifetime of a refresh token.' })
  @IsOptional()
  @IsInt()
  @Min(300)
  @Max(YEAR)
  refreshIdleTtl?: number | null;

  @ApiPropertyOptional({ minimum: 0, maximum: 60, nullable: true, description: 'Seconds a just-used refresh token may be retried (0 = strict).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60)
  refreshReuseGrace?: number | null;

  @ApiPropertyOptional({ type: TenantQuotaDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TenantQuotaDto)
  quota?: TenantQuotaDto | null;
}
