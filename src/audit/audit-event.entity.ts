import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AuditOutcome = 'success' | 'failure';

@Entity({ name: 'audit_events' })
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('timestamptz') at: Date;
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId: string | null;
  @Column('text', { nullable: true }) actor: string | null;
  @Column('text') action: string;
  @Column('text', { nullable: true }) target: string | null;
  @Column('text', { nullable: true }) ip: string | null;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent: string | null;
  @Column('text') outcome: AuditOutcome;
  @Column('jsonb') details: Record<string, unknown>;
}
