import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity';

@Entity({ name: 'api_keys' })
@Index('api_keys_tenant_idx', ['tenantId', 'createdAt'])
// Check expressions as Postgres reports them, so they compare equal to the migrated schema.
@Check('api_keys_allowed_ips_not_empty', '((allowed_ips IS NULL) OR (cardinality(allowed_ips) > 0))')
@Check('api_keys_previous_secret_check', '((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL))')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'api_keys_pkey' }) id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') name: string;
  @Column('text', { name: 'key_prefix' }) keyPrefix: string;
  @Column('text', { name: 'secret_hash' }) secretHash: string;
  /** After a rotation with a grace period: the replaced key's hash, accepted until previousSecretExpiresAt. */
  @Column('text', { name: 'previous_secret_hash', nullable: true }) previousSecretHash: string | null;
  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true }) previousSecretExpiresAt: Date | null;
  @Column('text', { array: true, default: () => "'{}'" }) scopes: string[];
  /** CIDRs the key may be used from; null: any address. */
  @Column('text', { name: 'allowed_ips', array: true, nullable: true }) allowedIps: string[] | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'created_by', nullable: true }) createdBy: string | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt: Date;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'api_keys_tenant_id_fkey' })
  tenant?: Tenant;
}
