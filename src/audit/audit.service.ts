import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { Clock } from '../common/clock';
import { AuditEvent, type AuditOutcome } from './audit-event.entity';

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

/** Append-only audit trail. Pass the transaction's manager to record inside the same transaction. */
@Injectable()
export class AuditService {
  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    private readonly clock: Clock,
  ) {}

  async record(event: AuditRecord, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(AuditEvent) : this.events;
    await repo.insert({
      at: this.clock.now(),
      action: event.action,
      outcome: event.outcome,
      tenantId: event.tenantId ?? null,
      actor: event.actor ?? null,
      target: event.target ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent?.slice(0, 512) ?? null,
      details: (event.details ?? {}) as object,
    });
  }
}
