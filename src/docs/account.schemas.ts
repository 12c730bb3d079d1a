import { ApiProperty } from '@nestjs/swagger';

// Schemas of `/me` and `/health/live` for the OpenAPI document only: those routes answer
// plain objects built by their services.

export class MeResponseBody {
  @ApiProperty({ description: 'The user id, or the client or API key id of a client_credentials token.' }) sub: string;
  @ApiProperty({ nullable: true, type: String, description: 'Null for client_credentials tokens.' }) username: string | null;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ description: 'The tenant’s slug.' }) tenant: string;
  @ApiProperty() clientId: string;
  @ApiProperty({ type: [String] }) scopes: string[];
}

export class ChangePasswordResponse {
  @ApiProperty({ description: 'How many other sessions (refresh families) were revoked.' }) revokedSessions: number;
}

export class LivenessResponse {
  @ApiProperty({ enum: ['ok'] }) status: string;
}
