import { cliAdminActor } from '../cli-actor';
import { UsageError, type Command } from '../command';
import { fields, when } from '../output';
import { systemTenantId, tenantBySlug } from './tenant-lookup';

/** The admin API's field names, as this command's options. */
export const OPTION_OF: Record<string, string> = { name: '--name', scopes: '--scope', expiresAt: '--expires' };

/** `2030-01-01` means its midnight UTC; anything else must be a full date-time with a zone. */
function expiry(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  return /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw;
}

/** The body of POST /admin/tenants/{id}/api-keys, checked by the same DTO and rules. */
async function createDto(values: Record<string, unknown>) {
  const [{ plainToInstance }, { validate }, { CreateApiKeyDto }, { fieldErrors }] = await Promise.all([
    import('class-transformer'),
    import('class-validator'),
    import('../../api-keys/dto/create-api-key.dto'),
    import('../../common/validation'),
  ]);
  const body = {
    name: (values.name as string | undefined) ?? `created by tessera-cli ${new Date().toISOString().slice(0, 10)}`,
    scopes: values.scope as string[],
    ...(values.expires !== undefined ? { expiresAt: expiry(values.expires as string) } : {}),
  };
  const dto = plainToInstance(CreateApiKeyDto, body);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length) {
    throw new UsageError(fieldErrors(errors).map((e) => `${OPTION_OF[e.field.split('.')[0]] ?? e.field} ${e.message}`).join('; '));
  }
  return dto;
}

export const apiKeysCreateCommand: Command = {
  name: 'api-keys create',
  summary: 'create an API key of a tenant and print it, once',
  options: {
    tenant: { type: 'string', value: 'slug', description: 'the tenant (required)' },
    scope: { type: 'string', multiple: true, value: 'scope', description: 'a scope the key holds, one of the tenant’s (at least one)' },
    name: { type: 'string', value: 'name', description: 'what it is for (default: "created by tessera-cli <date>")' },
    expires: { type: 'string', value: 'date', description: 'when it stops working: 2030-01-01 or 2030-01-01T12:00:00Z (default: never)' },
  },
  notes: [
    'As POST /admin/tenants/{id}/api-keys, audited as api_key.created by actor cli. The key is',
    'printed only this once; only its hash is stored. At POST /token it is the client_secret of',
    'grant_type=client_credentials with the printed id as client_id (HTTP Basic id:key), and',
    'GET /verify takes it as a Bearer token or X-API-Key.',
    '',
    'Example: tessera api-keys create --tenant acme --scope models:list --scope chat:completions --name ocr-worker',
  ],
  async run(values, env) {
    if (typeof values.tenant !== 'string') throw new UsageError('api-keys create: --tenant <slug> is required');
    if (!(values.scope as string[] | undefined)?.length) throw new UsageError('api-keys create: at least one --scope <scope> is required');
    const dto = await createDto(values);
    const [{ TenantsModule }, { ApiKeysModule }, { ApiKeyAdminService }] = await Promise.all([
      import('../../tenants/tenants.module'),
      import('../../api-keys/api-keys.module'),
      import('../../api-keys/api-key-admin.service'),
    ]);
    const slug = values.tenant;
    const created = await env.withContext([TenantsModule, ApiKeysModule], async (app) => {
      const tenant = await tenantBySlug(app, slug);
      return app.get(ApiKeyAdminService).create(cliAdminActor(await systemTenantId(app)), tenant.id, dto);
    });
    const text = fields([
      ['id', created.id],
      ['key', created.key],
      ['tenant', slug],
      ['name', created.name],
      ['scopes', created.scopes.join(' ')],
      ['expires', created.expiresAt ? when(created.expiresAt) : 'never'],
    ]);
    const note = 'The key is shown only this once. At POST /token: client_id = id, client_secret = key.';
    env.print(`${text}\n\n${note}`, { tenant: slug, ...created });
  },
};
