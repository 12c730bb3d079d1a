import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ADMIN_CLI_CLIENT_ID, ADMIN_PLATFORM_SCOPE, ADMIN_TENANT_SCOPE, INFERENCE_SCOPES, SYSTEM_TENANT_SLUG } from '../auth/scopes';
import { ClientsService } from '../clients/clients.service';
import { randomToken } from '../common/crypto';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { SCHEMA_LOCK_KEY } from '../database/migrate';
import { UsersService } from '../users/users.service';
import { TenantsService } from './tenants.service';

export const ADMIN_USERNAME = 'admin';

/**
 * First start (contract 1): the `system` tenant, its platform admin and the `admin-cli`
 * client, created once in one transaction under the schema lock, so instances starting
 * together on one database create them exactly once.
 */
@Injectable()
export class SystemTenantBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(SystemTenantBootstrap.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
    private readonly clients: ClientsService,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureSystemTenant();
  }

  /** Returns true when this call created the system tenant. */
  async ensureSystemTenant(): Promise<boolean> {
    const generated = this.config.adminPassword ? null : randomToken(18);
    const created = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      if (await this.tenants.findBySlug(SYSTEM_TENANT_SLUG, manager)) return false;
      const tenant = await this.tenants.insert(
        { slug: SYSTEM_TENANT_SLUG, name: 'System', scopes: INFERENCE_SCOPES, settings: {} },
        manager,
      );
      const admin = await this.users.insert(
        {
          tenantId: tenant.id,
          username: ADMIN_USERNAME,
          password: this.config.adminPassword ?? generated!,
          scopes: [ADMIN_PLATFORM_SCOPE],
        },
        manager,
      );
      await this.clients.create(
        {
          tenantId: tenant.id,
          clientId: ADMIN_CLI_CLIENT_ID,
          name: 'Admin CLI',
          type: 'public',
          grantTypes: ['password', 'refresh_token'],
          scopes: [ADMIN_PLATFORM_SCOPE, ADMIN_TENANT_SCOPE, ...INFERENCE_SCOPES],
        },
        manager,
      );
      await this.audit.record(
        { action: 'system.bootstrap', outcome: 'success', tenantId: tenant.id, actor: 'system', target: admin.id },
        manager,
      );
      return true;
    });
    if (created) {
      this.logger.log('created the system tenant, the platform admin "admin" and the client "admin-cli"');
      if (generated) printGeneratedPassword(generated);
    }
    return created;
  }
}

/** Shown once, on the terminal only: it never goes through the structured log. */
function printGeneratedPassword(password: string): void {
  process.stdout.write(
    [
      '',
      '==================================================================',
      '  Tessera first start: generated password for the platform admin',
      `  username: ${ADMIN_USERNAME}   client_id: ${ADMIN_CLI_CLIENT_ID}`,
      `  password: ${password}`,
      '  It is shown only this once. Set ADMIN_PASSWORD to choose it.',
      '==================================================================',
      '',
      '',
    ].join('\n'),
  );
}
