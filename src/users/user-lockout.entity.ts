import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Failed-login bookkeeping, kept apart from users so failures never contend with user updates. */
@Entity({ name: 'user_lockouts' })
export class UserLockout {
  @PrimaryColumn('uuid', { name: 'user_id' }) userId: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('integer', { name: 'failure_count' }) failureCount: number;
  @Column('timestamptz', { name: 'window_started_at' }) windowStartedAt: Date;
  @Column('integer', { name: 'lock_count' }) lockCount: number;
  @Column('timestamptz', { name: 'locked_until', nullable: true }) lockedUntil: Date | null;
  @Column('timestamptz', { name: 'last_failure_at', nullable: true }) lastFailureAt: Date | null;
}
