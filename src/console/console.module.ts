import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { TenantsModule } from '../tenants/tenants.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { UsersModule } from '../users/users.module';
import { ApiKeysConsole } from './api-keys.console';
import { AuditConsole } from './audit.console';
import { ClientsConsole } from './clients.console';
import { ConsoleAuthService } from './console-auth.service';
import { CONSOLE_CSP, CONSOLE_PATH } from './console-http';
import { ConsoleSessionStore } from './console-session.store';
import { ConsoleView } from './console-view';
import { ConsoleController } from './console.controller';
import { ConsoleGuard } from './console.guard';
import { KeysConsole } from './keys.console';
import { TenantsConsole } from './tenants.console';
import { UsersConsole } from './users.console';

/**
 * The admin console (/console): server-rendered pages over the admin services, on the admin
 * listener. Its own CSP on every /console reply, errors and 404s included; nothing inline.
 */
@Module({
  imports: [AuthModule, ThrottlingModule, TenantsModule, ClientsModule, UsersModule, ApiKeysModule, KeysModule, AuditModule],
  controllers: [ConsoleController, ApiKeysConsole, UsersConsole, ClientsConsole, KeysConsole, AuditConsole, TenantsConsole],
  providers: [ConsoleSessionStore, ConsoleAuthService, ConsoleView, ConsoleGuard],
})
export class ConsoleModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      const path = request.url.split('?')[0];
      if (path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`)) {
        reply.header('content-security-policy', CONSOLE_CSP);
        // helmet's no-referrer makes browsers send `Origin: null` on form posts; same-origin
        // keeps the real Origin for the console's own forms (checked by ConsoleGuard).
        reply.header('referrer-policy', 'same-origin');
        if (!path.startsWith(`${CONSOLE_PATH}/assets/`)) reply.header('cache-control', 'no-store');
      }
      done();
    });
  }
}
