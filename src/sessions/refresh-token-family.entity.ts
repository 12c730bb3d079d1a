import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One login: every refresh token rotated from it shares the family (RFC 9700 §4.14.2). */
@Entity({ name: 'refresh_token_families' })
export class RefreshTokenFamily {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('uuid', { name: 'client_id' }) clientId: string;
  @Column('text') scope: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_used_at' }) lastUsedAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'revoke_reason', nullable: true }) revokeReason: string | null;
}
