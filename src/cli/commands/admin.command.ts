import { randomToken } from '../../common/crypto';
import { cliAdminActor } from '../cli-actor';
import { UsageError, type Command } from '../command';
import { tenantBySlug, systemTenantId } from './tenant-lookup';

/** 144 random bits, URL-safe, as the first start generates. */
const generatePassword = () => randomToken(18);

/** A password piped in, without the newline `echo` adds; the rest is the password. */
async function passwordFromStdin(read: () => Promise<string>): Promise<string> {
  return (await read()).replace(/\r?\n$/, '');
}

export const adminResetPasswordCommand: Command = {
  name: 'admin reset-password',
  summary: 'reset a user’s password (default: the platform admin), revoke its sessions, unlock it',
  options: {
    username: { type: 'string', value: 'name', description: 'the user (default: admin)' },
    tenant: { type: 'string', value: 'slug', description: 'its tenant (default: system)' },
    stdin: { type: 'boolean', description: 'read the new password from stdin instead of generating one' },
    enable: { type: 'boolean', description: 'also re-enable the user if it was disabled' },
  },
  notes: [
    'For the lost-admin case. Without --stdin a password is generated and printed once, on',
    'stdout only; it is never logged. As an admin password reset (PATCH /admin/tenants/{id}/users/{id}),',
    'every session of the user is revoked, with the access tokens issued from them, and the',
    'event is audited (action user.updated, actor cli). A password must have at least 12',
    'characters and not be a common one.',
    '',
    'Example: printf "%s" "$NEW_PASSWORD" | tessera admin reset-password --stdin',
  ],
  async run(values, env) {
    const username = (values.username as string | undefined) ?? 'admin';
    const slug = (values.tenant as string | undefined) ?? 'system';
    const { passwordProblem } = await import('../../users/password-policy');
    let password: string;
    if (values.stdin) {
      password = await passwordFromStdin(() => env.readStdin());
      const problem = passwordProblem(password, username);
      if (problem) throw new UsageError(`the password from stdin ${problem}`);
    } else {
      password = generatePassword();
    }
    const [{ TenantsModule }, { UsersModule }, { UserAdminService }] = await Promise.all([
      import('../../tenants/tenants.module'),
      import('../../users/users.module'),
      import('../../users/user-admin.service'),
    ]);
    const user = await env.withContext([TenantsModule, UsersModule], async (app) => {
      const tenant = await tenantBySlug(app, slug);
      const users = app.get(UserAdminService);
      const found = await users.getByUsername(tenant.id, username).catch(async (err: Error) => {
        const { NotFoundError } = await import('../../common/domain-errors');
        throw err instanceof NotFoundError ? new UsageError(`no user "${username}" in the tenant "${slug}"`) : err;
      });
      const actor = cliAdminActor(await systemTenantId(app));
      return users.update(actor, tenant.id, found.id, { password, unlock: true, ...(values.enable ? { disabled: false } : {}) });
    });
    const done = `password of "${user.username}" in the tenant "${slug}" reset; its sessions are revoked and it is unlocked${
      user.disabled ? ' (it is still disabled: add --enable)' : ''
    }`;
    const shown = values.stdin ? null : password;
    env.print(shown ? `${done}\nnew password (shown only this once): ${shown}` : done, {
      tenant: slug,
      username: user.username,
      userId: user.id,
      disabled: user.disabled,
      ...(shown ? { password: shown } : {}),
    });
  },
};
