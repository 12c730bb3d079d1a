import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'family_id' }) familyId: string;
  @Column('uuid', { name: 'parent_id', nullable: true }) parentId: string | null;
  /** SHA-256 of the opaque token; the token itself is never stored. */
  @Column('bytea', { name: 'token_hash' }) tokenHash: Buffer;
  @Column('uuid', { name: 'access_token_jti', nullable: true }) accessTokenJti: string | null;
  @Column('timestamptz', { name: 'access_token_expires_at', nullable: true }) accessTokenExpiresAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
