import { OAuthError } from '../common/oauth-error';
import { SCOPE_TOKEN } from '../common/scope-list.decorator';

/** Scopes of the built-in OpenAI-compatible route policy (contract 5.1): a new tenant's default. */
export const INFERENCE_SCOPES: readonly string[] = [
  'models:list',
  'models:read',
  'chat:completions',
  'completions',
  'embeddings',
  'audio',
  'images',
  'ocr:infer',
];

export const ADMIN_TENANT_SCOPE = 'admin:tenant';
export const ADMIN_PLATFORM_SCOPE = 'admin:platform';
/** Built in (contract 2.7): lets an API key or client read GET /revocations. */
export const REVOCATIONS_READ_SCOPE = 'revocations:read';
/** The tenant whose admin:platform users are platform admins (contract 1). */
export const SYSTEM_TENANT_SLUG = 'system';
/** The system tenant's public client for admin logins, created at first start. */
export const ADMIN_CLI_CLIENT_ID = 'admin-cli';


/** The `scope` parameter as a list; null when absent. Malformed is invalid_scope. */
export function parseScope(raw: string | undefined): string[] | null {
  if (raw === undefined) return null;
  const scopes = raw.split(' ').filter(Boolean);
  if (scopes.length === 0 || scopes.length > 100 || !scopes.every((s) => SCOPE_TOKEN.test(s) && s.length <= 200)) {
    throw new OAuthError('invalid_scope', { detail: 'malformed scope parameter' });
  }
  return [...new Set(scopes)];
}

/** Scopes a tenant's credentials may hold at all: its own list plus the built-in admin scopes. */
export function tenantScopes(tenant: { slug: string; scopes: readonly string[] }): string[] {
  const builtIn = tenant.slug === SYSTEM_TENANT_SLUG ? [ADMIN_TENANT_SCOPE, ADMIN_PLATFORM_SCOPE] : [ADMIN_TENANT_SCOPE];
  return [...new Set([...tenant.scopes, ...builtIn, REVOCATIONS_READ_SCOPE])];
}

/**
 * The one scope rule (contract 2.1): the requested scope (default: everything allowed)
 * intersected with each allowance — what the user or API key holds, what the client allows,
 * what the tenant offers. Asking for anything outside that is invalid_scope.
 */
export function grantScope(requested: readonly string[] | null, ...allowances: readonly (readonly string[])[]): string[] {
  const allowed = allowances.reduce<string[]>((acc, list) => acc.filter((s) => list.includes(s)), [...allowances[0]]);
  if (requested === null) return allowed;
  const outside = requested.filter((s) => !allowed.includes(s));
  if (outside.length) throw new OAuthError('invalid_scope', { detail: `not allowed: ${outside.join(' ')}` });
  return [...requested];
}
