import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length, ValidateBy, type ValidationOptions } from 'class-validator';
import { PageQuery } from '../../common/pagination';

/** RFC 3339 date-time with an offset; microseconds are kept, like the column's. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * A date-time Postgres reads the same way whatever its time zone: the offset is required (a
 * bare local time would be read in the session's zone), and an impossible date such as
 * February 30 is refused here rather than failing in the database.
 */
export function isDateTime(value: unknown): boolean {
  const m = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = m[9] === undefined || (Number(m[9]) < 24 && Number(m[10]) < 60);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour < 24 && minute < 60 && second < 60 && offsetOk;
}

const IsDateTime = (options?: ValidationOptions) =>
  ValidateBy({ name: 'isDateTime', validator: { validate: isDateTime, defaultMessage: () => 'must be a date-time with an offset, e.g. 2025-01-31T12:00:00Z' } }, options);

/** `GET /admin/audit-events` filters (contract 5); the OAuth-style snake_case names are the contract's. */
export class AuditEventQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only events of this tenant. A tenant admin may name only its own (another is 404).' })
  @IsOptional()
  @IsUUID()
  tenant_id?: string;

  @ApiPropertyOptional({ example: 'tenant.created', description: 'Only events with exactly this action.' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  action?: string;

  @ApiPropertyOptional({ description: 'Only events by exactly this actor (a user, client or API key id, or `system`).' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  actor?: string;

  @ApiPropertyOptional({ description: 'Only events about exactly this target id.' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  target?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only events at or after this instant (inclusive).' })
  @IsOptional()
  @IsDateTime()
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only events before this instant (exclusive).' })
  @IsOptional()
  @IsDateTime()
  until?: string;
}
