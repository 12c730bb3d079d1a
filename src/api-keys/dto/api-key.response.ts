import { ApiProperty } from '@nestjs/swagger';
import type { ApiKey } from '../api-key.entity';

export class ApiKeyResponse {
  @ApiProperty({ format: 'uuid', description: 'Also its client_id at POST /token.' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'tsk_AbC123', description: 'The first characters of the key, to recognise it; not a secret.' }) keyPrefix: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ nullable: true, type: Date, description: 'null: it does not expire.' }) expiresAt: Date | null;
  @ApiProperty({ nullable: true, type: [String], example: ['10.0.0.0/8', '2001:db8::/32'], description: 'CIDRs the key may be used from; null: any address.' })
  allowedIps: string[] | null;
  @ApiProperty({ nullable: true, type: Date, description: 'After a rotation with a grace period: when the key it replaced stops working.' })
  previousKeyExpiresAt: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: 'Recorded at most once a minute.' }) lastUsedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: 'Set once the key is revoked (DELETE).' }) revokedAt: Date | null;
  @ApiProperty({ nullable: true, type: String, description: 'Id of the admin who created it.' }) createdBy: string | null;
  @ApiProperty() createdAt: Date;
}

export class CreatedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ example: 'tsk_…', description: 'The whole key (client_secret at POST /token). Shown once; only its hash is stored.' })
  key: string;
}

export class ApiKeyPage {
  @ApiProperty({ type: [ApiKeyResponse] }) items: ApiKeyResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

/** The one place an API key row becomes a response: fields are copied, never spread (no secret_hash). */
export function toApiKeyResponse(k: ApiKey): ApiKeyResponse {
  return {
    id: k.id,
    name: k.name,
    keyPrefix: k.keyPrefix,
    scopes: k.scopes,
    expiresAt: k.expiresAt,
    allowedIps: k.allowedIps,
    previousKeyExpiresAt: k.previousSecretExpiresAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
    createdBy: k.createdBy,
    createdAt: k.createdAt,
  };
}
