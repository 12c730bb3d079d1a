import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AuditOutcome = 'success' | 'failure';

// No foreign key to tenants: audit events outlive what they describe. The check is written
// as Postgres reports it, so it compares equal to the migrated schema.
@Entity({ name: 'audit_events' })
@Index('audit_events_at_idx', ['at', 'id'])
@Index('audit_events_tenant_at_idx', ['tenantId', 'at', 'id'])
@Index('audit_events_action_at_idx', ['action', 'at', 'id'])
@Check('audit_events_outcome_check', "(outcome = ANY (ARRAY['success'::text, 'failure'::text]))")
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'audit_events_pkey' }) id: string;
  @Column('timestamptz', { default: () => 'now()' }) at: Date;
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId: string | null;
  @Column('text', { nullable: true }) actor: string | null;
  @Column('text') action: string;
  @Column('text', { nullable: true }) target: string | null;
  @Column('text', { nullable: true }) ip: string | null;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent: string | null;
  @Column('text') outcome: AuditOutcome;
  @Column('jsonb', { default: () => "'{}'" }) details: Record<string, unknown>;
}
