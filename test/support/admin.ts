import { randomBytes } from 'node:crypto';
import { TEST_ADMIN_PASSWORD, type TestApp } from './test-app';

/** A tenant as POST /admin/tenants returned it. */
export interface AdminTenant {
  id: string;
  slug: string;
  defaultClient: { clientId: string };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function login(app: TestApp, clientId: string, username: string, password: string): Promise<string> {
  const res = await app.http().post('/token').type('form').send({ grant_type: 'password', client_id: clientId, username, password });
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

/** An access token of the bootstrap platform admin. */
export function platformToken(app: TestApp): Promise<string> {
  return login(app, 'admin-cli', 'admin', TEST_ADMIN_PASSWORD);
}

/** A new tenant made through the admin API. */
export async function createTenantViaApi(app: TestApp, platform: string, body: Record<string, unknown> = {}): Promise<AdminTenant> {
  const slug = `t-${randomBytes(4).toString('hex')}`;
  const res = await app.http().post('/admin/tenants').set(bearer(platform)).send({ slug, name: slug, ...body });
  if (res.status !== 201) throw new Error(`tenant create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as AdminTenant;
}

/** A user made through the admin API, and its password. */
export async function createUserViaApi(
  app: TestApp,
  token: string,
  tenantId: string,
  scopes: string[],
): Promise<{ id: string; username: string; password: string }> {
  const username = `u-${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(10).toString('hex')}`;
  const res = await app.http().post(`/admin/tenants/${tenantId}/users`).set(bearer(token)).send({ username, password, scopes });
  if (res.status !== 201) throw new Error(`user create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, username, password };
}

/** A tenant admin (scope admin:tenant) of `tenant`, logged in through its default client. */
export async function tenantAdminToken(app: TestApp, platform: string, tenant: AdminTenant): Promise<string> {
  const user = await createUserViaApi(app, platform, tenant.id, ['admin:tenant']);
  return login(app, tenant.defaultClient.clientId, user.username, user.password);
}
