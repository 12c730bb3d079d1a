import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { Clock } from '../common/clock';
import { keysetPage } from '../common/pagination';
import { AuditEvent, type AuditOutcome } from './audit-event.entity';
import { GroupCommit } from './group-commit';
import type { AuditEventQuery } from './dto/audit-event-query.dto';
import { toAuditEventResponse, type AuditEventPage } from './dto/audit-event.response';

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

/** The admin behind a write: who, from where. */
export interface AuditActor {
  readonly id: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** Who reads the trail: the admin API's Actor. */
export interface AuditViewer {
  readonly tenantId: string;
  readonly platform: boolean;
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
  private readonly groupCommit: GroupCommit;

  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    this.groupCommit = new GroupCommit('audit_events', AUDIT_COLUMNS.split(', '), (sql, params) => dataSource.query(sql, params));
  }

  /** An admin write, recorded with the write's transaction (contract 3). */
  recordAdmin(
    actor: AuditActor,
    event: { action: string; tenantId: string | null; target: string; details?: Record<string, unknown> },
    manager: EntityManager,
  ): Promise<void> {
    return this.record({ ...event, outcome: 'success', actor: actor.id, ip: actor.ip, userAgent: actor.userAgent }, manager);
  }

  /**
   * Inside `manager`'s transaction, or on its own: then committed together with the events of
   * concurrent requests (GroupCommit), resolving once it is durable.
   */
  async record(event: AuditRecord, manager?: EntityManager): Promise<void> {
    const values = auditValues(event, this.clock.now());
    if (manager) await manager.query(INSERT_SQL, values);
    else await this.groupCommit.write(values);
  }

  /**
   * `GET /admin/audit-events`, newest first. Filters are exact (`action`) and half-open in time
   * (`since` inclusive, `until` exclusive), so consecutive windows never share an event.
   */
  async list(viewer: AuditViewer, query: AuditEventQuery): Promise<AuditEventPage> {
    const tenantId = visibleTenant(viewer, query.tenant_id);
    const qb = this.events.createQueryBuilder('e');
    if (tenantId !== undefined) qb.andWhere('e.tenant_id = :tenantId', { tenantId });
    if (query.action !== undefined) qb.andWhere('e.action = :action', { action: query.action });
    if (query.actor !== undefined) qb.andWhere('e.actor = :actor', { actor: query.actor });
    if (query.target !== undefined) qb.andWhere('e.target = :target', { target: query.target });
    // Compared as timestamptz in the database, so microseconds in the filter are honoured.
    if (query.since !== undefined) qb.andWhere('e.at >= :since::timestamptz', { since: query.since });
    if (query.until !== undefined) qb.andWhere('e.at < :until::timestamptz', { until: query.until });
    const { items, nextCursor } = await keysetPage(qb, query, { column: 'at', order: 'DESC' });
    return { items: items.map(toAuditEventResponse), nextCursor };
  }
}

/**
 * Contract 5 for the audit trail: a platform admin reads every tenant's events (and the
 * platform-wide ones, tenant null), a tenant admin only its own tenant's. Naming another tenant
 * was already answered 404 by AdminGuard. Audit events outlive their tenant, so a platform
 * admin may filter by the id of a deleted one.
 */
export function visibleTenant(viewer: AuditViewer, requested: string | undefined): string | undefined {
  return viewer.platform ? requested?.toLowerCase() : viewer.tenantId;
}
