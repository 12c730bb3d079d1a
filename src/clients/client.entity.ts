import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity';

export type ClientType = 'public' | 'confidential';

// Check expressions are written as Postgres reports them, so they compare equal to the
// migrated schema. (tenant_id, id) is the target of tenant-scoped foreign keys.
@Entity({ name: 'clients' })
@Unique('clients_tenant_id_id_key', ['tenantId', 'id'])
@Index('clients_client_id_key', ['clientId'], { unique: true })
@Index('clients_tenant_idx', ['tenantId'])
@Check('clients_type_check', "(type = ANY (ARRAY['public'::text, 'confidential'::text]))")
@Check('clients_secret_iff_confidential', "((type = 'confidential'::text) = (secret_hash IS NOT NULL))")
@Check('clients_allowed_ips_not_empty', '((allowed_ips IS NULL) OR (cardinality(allowed_ips) > 0))')
@Check('clients_allowed_ips_confidential', "((allowed_ips IS NULL) OR (type = 'confidential'::text))")
export class Client {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'clients_pkey' }) id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text', { name: 'client_id' }) clientId: string;
  @Column('text') name: string;
  @Column('text') type: ClientType;
  @Column('text', { name: 'secret_hash', nullable: true }) secretHash: string | null;
  @Column('text', { name: 'grant_types', array: true, default: () => "'{}'" }) grantTypes: string[];
  @Column('text', { array: true, default: () => "'{}'" }) scopes: string[];
  @Column('text', { nullable: true }) audience: string | null;
  /** CIDRs a confidential client may authenticate from; null: any address. */
  @Column('text', { name: 'allowed_ips', array: true, nullable: true }) allowedIps: string[] | null;
  @Column('timestamptz', { name: 'secret_rotated_at', nullable: true }) secretRotatedAt: Date | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt: Date;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'clients_tenant_id_fkey' })
  tenant?: Tenant;
}
