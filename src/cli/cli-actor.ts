import { hostname, userInfo } from 'node:os';
import type { AuditActor } from '../audit/audit.service';
import type { Actor } from '../auth/admin-policy';

/** Audit events of CLI commands name this actor, with no IP address. */
export const CLI_ACTOR = 'cli';

/** The audit trail's user agent: the CLI, and the operating-system account that ran it. */
function userAgent(): string {
  try {
    return `tessera-cli (${userInfo().username}@${hostname()})`;
  } catch {
    // No passwd entry for the uid (some containers).
    return 'tessera-cli';
  }
}

export function cliAuditActor(): AuditActor {
  return { id: CLI_ACTOR, ip: null, userAgent: userAgent() };
}

/** Whoever can run the CLI can reach the database: it acts as a platform admin of the system tenant. */
export function cliAdminActor(systemTenantId: string): Actor {
  return { ...cliAuditActor(), tenantId: systemTenantId, platform: true };
}
