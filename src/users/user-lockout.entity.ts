import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './user.entity';

/** Failed-login bookkeeping, kept apart from users so failures never contend with user updates. */
@Entity({ name: 'user_lockouts' })
export class UserLockout {
  @PrimaryColumn('uuid', { name: 'user_id', primaryKeyConstraintName: 'user_lockouts_pkey' }) userId: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('integer', { name: 'failure_count', default: 0 }) failureCount: number;
  @Column('timestamptz', { name: 'window_started_at', default: () => 'now()' }) windowStartedAt: Date;
  @Column('integer', { name: 'lock_count', default: 0 }) lockCount: number;
  @Column('timestamptz', { name: 'locked_until', nullable: true }) lockedUntil: Date | null;
  @Column('timestamptz', { name: 'last_failure_at', nullable: true }) lastFailureAt: Date | null;

  // Through (tenant_id, id) so a lockout can never point at another tenant's user.
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn([
    {
      name: 'tenant_id',
      referencedColumnName: 'tenantId',
      foreignKeyConstraintName: 'user_lockouts_tenant_id_user_id_fkey',
    },
    { name: 'user_id', referencedColumnName: 'id' },
  ])
  user?: User;
}
