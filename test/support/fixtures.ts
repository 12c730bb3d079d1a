import { randomBytes } from 'node:crypto';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { INFERENCE_SCOPES } from '../../src/auth/scopes';
import { ClientsService } from '../../src/clients/clients.service';
import type { TenantSettings } from '../../src/tenants/tenant.entity';
import { TenantsService } from '../../src/tenants/tenants.service';
import { UsersService } from '../../src/users/users.service';
import type { TestApp } from './test-app';

export interface TenantFixture {
  tenantId: string;
  slug: string;
  /** Public client with password and refresh_token grants. */
  publicClientId: string;
  /** Confidential client with client_credentials and password grants. */
  confidential: { clientId: string; secret: string };
  user: { id: string; username: string; password: string };
  apiKey: { id: string; key: string };
}

/** A tenant of its own with a user, a public and a confidential client and an API key. */
export async function createTenant(
  app: TestApp,
  opts: { settings?: TenantSettings; userScopes?: string[]; clientScopes?: string[] } = {},
): Promise<TenantFixture> {
  const slug = `t-${randomBytes(4).toString('hex')}`;
  const tenant = await app.app.get(TenantsService).insert({ slug, name: slug, scopes: INFERENCE_SCOPES, settings: opts.settings ?? {} });
  const clients = app.app.get(ClientsService);
  const clientScopes = opts.clientScopes ?? [...INFERENCE_SCOPES];
  const { client: pub } = await clients.create({
    tenantId: tenant.id,
    name: 'cli',
    type: 'public',
    grantTypes: ['password', 'refresh_token'],
    scopes: clientScopes,
  });
  const { client: conf, secret } = await clients.create({
    tenantId: tenant.id,
    name: 'backend',
    type: 'confidential',
    grantTypes: ['client_credentials', 'password', 'refresh_token'],
    scopes: clientScopes,
  });
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const user = await app.app
    .get(UsersService)
    .insert({ tenantId: tenant.id, username: 'Alice', password, scopes: opts.userScopes ?? ['models:list', 'chat:completions'] });
  const { apiKey, key } = await app.app.get(ApiKeysService).create({ tenantId: tenant.id, name: 'ocr', scopes: ['ocr:infer', 'models:list'] });
  return {
    tenantId: tenant.id,
    slug,
    publicClientId: pub.clientId,
    confidential: { clientId: conf.clientId, secret: secret! },
    user: { id: user.id, username: 'Alice', password },
    apiKey: { id: apiKey.id, key },
  };
}
