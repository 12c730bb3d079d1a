import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity';

// (tenant_id, id) is the target of the tenant-scoped foreign keys from other tables.
@Entity({ name: 'users' })
@Unique('users_tenant_id_id_key', ['tenantId', 'id'])
@Index('users_tenant_username_key', ['tenantId', 'usernameKey'], { unique: true })
@Index('users_tenant_created_idx', ['tenantId', 'createdAt', 'id'])
// (tenant_id, username_key text_pattern_ops) for the prefix search: an operator class TypeORM
// cannot declare, so it is the migration's alone (UsersPrefixIndex) and the schema diff skips it.
@Index('users_tenant_username_prefix_idx', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'users_pkey' }) id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') username: string;
  @Column('text', { name: 'username_key' }) usernameKey: string;
  @Column('text', { name: 'password_hash' }) passwordHash: string;
  @Column('text', { array: true, default: () => "'{}'" }) scopes: string[];
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt: Date | null;
  @Column('timestamptz', { name: 'password_changed_at', default: () => 'now()' }) passwordChangedAt: Date;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt: Date;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'users_tenant_id_fkey' })
  tenant?: Tenant;
}
