import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Client } from '../clients/client.entity';
import { User } from '../users/user.entity';

/** One login: every refresh token rotated from it shares the family (RFC 9700 §4.14.2). */
@Entity({ name: 'refresh_token_families' })
@Index('refresh_token_families_user_idx', ['tenantId', 'userId'], { where: '(revoked_at IS NULL)' })
@Index('refresh_token_families_expires_idx', ['expiresAt'])
export class RefreshTokenFamily {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'refresh_token_families_pkey' }) id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('uuid', { name: 'client_id' }) clientId: string;
  @Column('text') scope: string;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_used_at', default: () => 'now()' }) lastUsedAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'revoke_reason', nullable: true }) revokeReason: string | null;

  // Both through tenant_id, so a family can never join one tenant's user to another's client.
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn([
    {
      name: 'tenant_id',
      referencedColumnName: 'tenantId',
      foreignKeyConstraintName: 'refresh_token_families_tenant_id_user_id_fkey',
    },
    { name: 'user_id', referencedColumnName: 'id' },
  ])
  user?: User;

  @ManyToOne(() => Client, { onDelete: 'CASCADE' })
  @JoinColumn([
    {
      name: 'tenant_id',
      referencedColumnName: 'tenantId',
      foreignKeyConstraintName: 'refresh_token_families_tenant_id_client_id_fkey',
    },
    { name: 'client_id', referencedColumnName: 'id' },
  ])
  client?: Client;
}
