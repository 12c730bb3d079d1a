import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Tenant, TenantSettings } from '../tenant.entity';

export class DefaultClientResponse {
  @ApiProperty() clientId: string;
  @ApiProperty({ enum: ['public'] }) type: 'public';
  @ApiProperty({ type: [String] }) grantTypes: string[];
  @ApiProperty({ type: [String] }) scopes: string[];
}

export class TenantResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, example: { accessTokenTtl: 900 } }) settings: TenantSettings;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
  @ApiProperty({ nullable: true, type: Date }) suspendedAt: Date | null;
}

export class CreatedTenantResponse extends TenantResponse {
  @ApiPropertyOptional({ type: DefaultClientResponse }) defaultClient: DefaultClientResponse;
}

export class TenantPage {
  @ApiProperty({ type: [TenantResponse] }) items: TenantResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

/** The one place a tenant row becomes a response: fields are copied, never spread. */
export function toTenantResponse(t: Tenant): TenantResponse {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    status: t.status,
    scopes: t.scopes,
    settings: t.settings,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    suspendedAt: t.suspendedAt,
  };
}
