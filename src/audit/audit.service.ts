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

/** The admin behind a write: who, from where. */
export interface AuditActor {
  readonly id: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** Append-only audit trail. Pass the transaction's manager to record inside the same transaction. */
@Injectable()
export class AuditService {
  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    private readonly clock: Clock,
  ) {}

  /** An admin write, recorded with the write's transaction (contract 3). */
  recordAdmin(
    actor: AuditActor,
    event: { action: string; tenantId: string | null; target: string; details?: Record<string, unknown> },
    manager: EntityManager,
  ): Promise<void> {
    return this.record({ ...event, outcome: 'success', actor: actor.id, ip: actor.ip, userAgent: actor.userAgent }, manager);
  }

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
