import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { TenantsModule } from '../tenants/tenants.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { UsersModule } from '../users/users.module';
import { VerifyModule } from '../verify/verify.module';
import { ApiKeysConsole } from './api-keys.console';
import { AuditConsole } from './audit.console';
import { ClientsConsole } from './clients.console';
import { ConsoleAuthService } from './console-auth.service';
import { ConsoleSessionStore } from './console-session.store';
import { ConsoleView } from './console-view';
import { ConsoleController } from './console.controller';
import { ConsoleGuard } from './console.guard';
import { KeysConsole } from './keys.console';
import { QuotasConsole } from './quotas.console';
import { TenantsConsole } from './tenants.console';
import { UsersConsole } from './users.console';

/**
 * The admin console (/console): server-rendered pages over the admin services, on the admin
 * listener. Its headers (a CSP of its own, nothing inline) are CONSOLE_AREAS in console-http.ts.
 */
@Module({
  imports: [AuthModule, ThrottlingModule, TenantsModule, ClientsModule, UsersModule, ApiKeysModule, KeysModule, AuditModule, VerifyModule],
  controllers: [ConsoleController, ApiKeysConsole, UsersConsole, ClientsConsole, KeysConsole, AuditConsole, TenantsConsole, QuotasConsole],
  providers: [ConsoleSessionStore, ConsoleAuthService, ConsoleView, ConsoleGuard],
})
export class ConsoleModule {}
