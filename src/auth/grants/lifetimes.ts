import type { AppConfig } from '../../config/config';
import type { TenantSettings } from '../../tenants/tenant.entity';
import type { RefreshLifetimes } from '../../sessions/refresh-tokens.service';

/** A tenant's refresh lifetimes: its settings, else the configured defaults. */
export function refreshLifetimes(settings: TenantSettings, config: AppConfig): RefreshLifetimes {
  return {
    absolute: settings.refreshTokenTtl ?? config.tokens.refreshTtl,
    idle: settings.refreshIdleTtl ?? config.tokens.refreshIdleTtl,
  };
}
