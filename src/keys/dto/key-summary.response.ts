import { ApiProperty } from '@nestjs/swagger';
import type { SigningKey } from '../signing-key.entity';

/** A signing key as the admin API shows it: its lifecycle, never key material (public or private). */
export class KeySummary {
  @ApiProperty({ description: 'RFC 7638 thumbprint of the public key; the `kid` of tokens it signs.' }) kid: string;
  @ApiProperty({ enum: ['RS256', 'ES256', 'EdDSA'] }) alg: string;
  @ApiProperty({ enum: ['next', 'current', 'retired', 'revoked'] }) state: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ description: 'When it first appeared in the JWKS.' }) publishedAt: Date;
  @ApiProperty({ nullable: true, type: Date, description: 'When it became the current (signing) key.' }) activatedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) retiredAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) revokedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: 'When a retired or revoked key is deleted: no token it signed can be unexpired by then.' })
  removeAfter: Date | null;
}

/**
 * Not paginated: retired and revoked keys are deleted after the longest access-token lifetime,
 * so the list holds a handful of keys at most.
 */
export class KeyList {
  @ApiProperty({ type: [KeySummary] }) items: KeySummary[];
}

/** The one place a key row becomes a response: fields are copied, so key material never leaks. */
export function toKeySummary(k: SigningKey): KeySummary {
  return {
    kid: k.kid,
    alg: k.alg,
    state: k.state,
    createdAt: k.createdAt,
    publishedAt: k.publishedAt,
    activatedAt: k.activatedAt,
    retiredAt: k.retiredAt,
    revokedAt: k.revokedAt,
    removeAfter: k.removeAfter,
  };
}
