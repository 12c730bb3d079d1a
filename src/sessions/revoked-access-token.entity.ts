import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'revoked_access_tokens' })
export class RevokedAccessToken {
  @PrimaryColumn('uuid') jti: string;
  @Column({ type: 'bigint', insert: false, update: false }) seq: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'revoked_at' }) revokedAt: Date;
  @Column('text', { nullable: true }) reason: string | null;
}
