import { ApiProperty } from '@nestjs/swagger';
import type { AuditEvent } from '../audit-event.entity';

/** Contract 3: `id, at, tenant_id, actor, action, target, ip, user_agent, outcome, details`, in admin camelCase. */
export class AuditEventResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() at: Date;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'Null for platform-wide events (signing keys).' }) tenantId: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The user, client or API key id that acted, or `system`.' }) actor: string | null;
  @ApiProperty({ example: 'tenant.created' }) action: string;
  @ApiProperty({ nullable: true, type: String, description: 'The id of what the event concerns.' }) target: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ enum: ['success', 'failure'] }) outcome: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Never a password, secret or token.' }) details: Record<string, unknown>;
}

export class AuditEventPage {
  @ApiProperty({ type: [AuditEventResponse], description: 'Newest first.' }) items: AuditEventResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

/** The one place an audit row becomes a response: fields are copied, never spread. */
export function toAuditEventResponse(e: AuditEvent): AuditEventResponse {
  return {
    id: e.id,
    at: e.at,
    tenantId: e.tenantId,
    actor: e.actor,
    action: e.action,
    target: e.target,
    ip: e.ip,
    userAgent: e.userAgent,
    outcome: e.outcome,
    details: e.details,
  };
}
