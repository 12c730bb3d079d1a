import { ApiProperty } from '@nestjs/swagger';
import type { SessionSummary } from '../../sessions/refresh-tokens.service';
import type { User } from '../user.entity';

export class UserResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty() disabled: boolean;
  @ApiProperty({ nullable: true, type: Date, description: 'Set while the account is locked after failed logins.' }) lockedUntil: Date | null;
  @ApiProperty() passwordChangedAt: Date;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class UserPage {
  @ApiProperty({ type: [UserResponse] }) items: UserResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class SessionResponse implements SessionSummary {
  @ApiProperty({ format: 'uuid', description: 'The refresh-token family: one login.' }) id: string;
  @ApiProperty({ description: 'OAuth client_id the login went through.' }) clientId: string;
  @ApiProperty() scope: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty() lastUsedAt: Date;
  @ApiProperty() expiresAt: Date;
}

export class SessionPage {
  @ApiProperty({ type: [SessionResponse] }) items: SessionResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class RevokedSessionsResponse {
  @ApiProperty() revokedSessions: number;
}

/** The one place a user row becomes a response: never the hash. */
export function toUserResponse(u: User, lockedUntil: Date | null): UserResponse {
  return {
    id: u.id,
    username: u.username,
    scopes: u.scopes,
    disabled: u.disabledAt !== null,
    lockedUntil,
    passwordChangedAt: u.passwordChangedAt,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}
