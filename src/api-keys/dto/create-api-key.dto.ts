import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ScopeList } from '../../common/scope-list.decorator';
import { AllowedIpsField } from '../../clients/dto/allowed-ips.field';

/** RFC 3339 date-time: an ISO 8601 date and time with a zone, so the instant is unambiguous. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ocr-worker', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ScopeList('Scopes the key holds: within the tenant’s scopes, plus admin:tenant.')
  scopes: string[];

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    required: false,
    example: '2030-01-01T00:00:00Z',
    description: 'When the key stops working; in the future. Absent or null: it does not expire.',
  })
  @IsOptional()
  @IsString()
  @Matches(DATE_TIME, { message: 'must be an ISO 8601 date-time with a time zone, e.g. 2030-01-01T00:00:00Z' })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'must be a valid date-time' })
  expiresAt?: string | null;

  @AllowedIpsField('Addresses the key may be used from, at POST /token and GET /verify.')
  allowedIps?: string[] | null;
}
