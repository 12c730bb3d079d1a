import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import type { AuditOutcome } from './audit-event.entity';

export interface AuditRecord {
  action: string;
  outcome: AuditOutcome;
  tenantId?: string | null;
  actor?: string | null;
  target?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Never a password, secret, refresh token, API key or full access token. */
  details?: Record<string, unknown>;
}

/** The columns auditValues() fills, in its order: for a statement that records an event inline. */
export const AUDIT_COLUMNS = 'at, tenant_id, actor, action, target, ip, user_agent, outcome, details';

/** An event's values for AUDIT_COLUMNS. */
export function auditValues(event: AuditRecord, at: Date): unknown[] {
  return [
    at,
    event.tenantId ?? null,
    event.actor ?? null,
    event.action,
    event.target ?? null,
    event.ip ?? null,
    event.userAgent?.slice(0, 512) ?? null,
    event.outcome,
    event.details ?? {},
  ];
}

const INSERT_SQL = `INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

/** Append-only audit trail. Pass the transaction's manager to record inside the same transaction. */
@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async record(event: AuditRecord, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource).query(INSERT_SQL, auditValues(event, this.clock.now()));
  }
}
