import { ApiProperty } from '@nestjs/swagger';
import type { Client, ClientType } from '../client.entity';
import { GRANT_TYPES } from '../credential-rules';

export class ClientResponse {
  @ApiProperty({ format: 'uuid', description: 'The id in admin paths.' }) id: string;
  @ApiProperty({ description: 'The OAuth client_id at POST /token.' }) clientId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['public', 'confidential'] }) type: ClientType;
  @ApiProperty({ enum: GRANT_TYPES, isArray: true }) grantTypes: string[];
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ nullable: true, type: String, description: 'null: the configured default audience.' }) audience: string | null;
  @ApiProperty({ nullable: true, type: [String], example: ['10.0.0.0/8'], description: 'CIDRs the client may authenticate from; null: any address.' })
  allowedIps: string[] | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
  @ApiProperty({ nullable: true, type: Date, description: 'When the secret was last rotated; null if never.' }) secretRotatedAt: Date | null;
}

/** A client with its secret: returned once, on create (confidential clients) and on rotate-secret. */
export class ClientWithSecretResponse extends ClientResponse {
  @ApiProperty({ required: false, description: 'Confidential clients only. Shown once; only its hash is stored.' })
  clientSecret?: string;
}

export class ClientPage {
  @ApiProperty({ type: [ClientResponse] }) items: ClientResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

/** The one place a client row becomes a response: fields are copied, never spread (no secret_hash). */
export function toClientResponse(c: Client): ClientResponse {
  return {
    id: c.id,
    clientId: c.clientId,
    name: c.name,
    type: c.type,
    grantTypes: c.grantTypes,
    scopes: c.scopes,
    audience: c.audience,
    allowedIps: c.allowedIps,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    secretRotatedAt: c.secretRotatedAt,
  };
}

export function toClientWithSecret(c: Client, secret: string | null): ClientWithSecretResponse {
  return secret === null ? toClientResponse(c) : { ...toClientResponse(c), clientSecret: secret };
}
