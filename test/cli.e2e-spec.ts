import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTenantViaApi, platformToken, type AdminTenant } from './support/admin';
import { startApp, testConfig, TEST_ADMIN_PASSWORD, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

/*
 * The CLI runs as users run it: `node bin/tessera.js ...` on the compiled build, in a child
 * process. The build is made once, here, into a directory of its own laid out like the
 * repository (bin/, dist/, node_modules -> the repository's): the shared dist/ may be stale or
 * rebuilt by someone else mid-run (`nest build` deletes it first), and ts-node would
 * transpile the whole module graph again for every one of the ~20 commands (about 10 s each on
 * this machine, against about 3 s compiled). `tsc --noCheck` only emits; `npx tsc --noEmit`
 * is the type check.
 */
const REPO = resolve(__dirname, '..');
/** The service's and the CLI's, as in production (a development one would be generated into DATA_DIR, with a warning). */
const KEY_ENCRYPTION_KEY = randomBytes(32).toString('base64');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function exec(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

async function buildCli(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'tessera-cli-build-'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(REPO, 'bin', 'tessera.js'), join(root, 'bin', 'tessera.js'));
  const tsc = require.resolve('typescript/bin/tsc');
  const args = [tsc, '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(root, 'dist'), '--noCheck', '--sourceMap', 'false'];
  const built = await exec(process.execPath, args, { cwd: REPO, env: process.env });
  if (built.code !== 0) throw new Error(`tsc failed: ${built.stdout}${built.stderr}`);
  return root;
}

const lines = (text: string) => text.split('\n').filter(Boolean);

describe('tessera CLI', () => {
  let build: string;
  let db: TestDatabase;
  let app: TestApp | null = null;
  let tenant: AdminTenant;
  let adminRefreshToken: string;
  let rotatedKid: string;
  let apiKey: { id: string; key: string };
  let stdinPassword: string;
  let generatedPassword: string;

  /** One CLI run against the test database; stdin is closed (not a terminal) unless given. */
  const cli = (args: string[], opts: { env?: Record<string, string>; input?: string } = {}) =>
    exec(process.execPath, [join(build, 'bin', 'tessera.js'), ...args], {
      // A directory without a .env, so nothing but this environment configures it.
      cwd: build,
      env: { PATH: process.env.PATH, NODE_ENV: 'test', KEY_ENCRYPTION_KEY, ...db.env, ...opts.env },
      input: opts.input,
    });

  const start = async () => {
    app = await startApp(testConfig(db, { LOCKOUT_AFTER: '3/15m', KEY_ENCRYPTION_KEY }));
    return app;
  };
  const stop = async () => {
    await app?.close();
    app = null;
  };
  const passwordLogin = (password: string) =>
    app!.http().post('/token').type('form').send({ grant_type: 'password', client_id: 'admin-cli', username: 'admin', password });

  beforeAll(async () => {
    [build, db] = await Promise.all([buildCli(), createTestDatabase()]);
  }, 240_000);

  afterAll(async () => {
    await stop();
    await db?.drop();
    if (build) rmSync(build, { recursive: true, force: true });
  });

  it('answers --help with status 0 and a bad command line with status 2 and one line', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['migrate', 'admin reset-password', 'keys list', 'keys rotate', 'tenants list', 'api-keys create', 'prune']) {
      expect(top.stdout).toContain(`  ${command}  `);
    }
    const one = await cli(['api-keys', 'create', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^Usage: tessera api-keys create \[options\]/);
    expect(one.stdout).toContain('--scope <scope>');
    const group = await cli(['keys', '--help']);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('keys rotate');

    const bad: [string[], RegExp][] = [
      [[], /^tessera: no command given; see tessera --help$/],
      [['frobnicate'], /^tessera: unknown command "frobnicate"; see tessera --help$/],
      [['keys'], /^tessera: keys needs a subcommand: list, rotate$/],
      [['keys', 'list', '--bogus'], /^tessera: keys list: unknown option --bogus; see tessera keys list --help$/],
      [['tenants', 'list', 'extra'], /^tessera: tenants list: unexpected argument "extra"/],
      [['api-keys', 'create', '--scope', 'models:list'], /^tessera: api-keys create: --tenant <slug> is required$/],
      [['api-keys', 'create', '--tenant'], /^tessera: api-keys create: --tenant needs a value/],
      [['api-keys', 'create', '--tenant', 'x', '--scope', 'a', '--expires', 'soon'], /^tessera: --expires must be/],
    ];
    for (const [args, message] of bad) {
      const res = await cli(args);
      expect({ args, code: res.code, stdout: res.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(lines(res.stderr)).toHaveLength(1);
      expect(res.stderr.trim()).toMatch(message);
    }
  });

  it('stops at a bad configuration with status 1 and the loader’s one line', async () => {
    const res = await cli(['tenants', 'list'], { env: { SIGNING_ALG: 'HS256', PORT: 'eighty' } });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(lines(res.stderr)).toEqual([expect.stringMatching(/^tessera: invalid configuration: PORT: must be a whole number; SIGNING_ALG: /)]);
  });

  it('migrate applies the pending migrations of a fresh database and prints them, then finds none', async () => {
    const first = await cli(['migrate']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied \d+ migration\(s\):\n {2}InitialSchema\d+\n/);
    const again = await cli(['migrate', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ applied: [] });
  }, 120_000);

  it('while the service runs: refused on its embedded DATA_DIR (one line, status 1), beside it on a server', async () => {
    await start();
    tenant = await createTenantViaApi(app!, await platformToken(app!));
    const login = await passwordLogin(TEST_ADMIN_PASSWORD);
    expect(login.status).toBe(200);
    adminRefreshToken = login.body.refresh_token;
    // The lost-admin case: three wrong passwords lock the account, so even the right one fails.
    for (let i = 0; i < 3; i++) expect((await passwordLogin(`wrong-password-${i}`)).status).toBe(400);
    expect((await passwordLogin(TEST_ADMIN_PASSWORD)).body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });

    const res = await cli(['tenants', 'list']);
    if (db.embedded) {
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      expect(lines(res.stderr)).toEqual([
        expect.stringMatching(/^tessera: DATA_DIR \S+ is in use by process \d+; the embedded database serves one process \(set DATABASE_URL to share a server\)$/),
      ]);
    } else {
      expect(res.code).toBe(0);
      expect(res.stdout).toContain(tenant.slug);
    }
    await stop();
  }, 120_000);

  it('lists tenants and keys, rotates the signing key, prunes, with nothing but results on stdout', async () => {
    const tenants = await cli(['tenants', 'list']);
    expect(tenants.code).toBe(0);
    expect(lines(tenants.stdout)[0]).toMatch(/^SLUG +STATUS +ID +CREATED +NAME$/);
    expect(tenants.stdout).toMatch(new RegExp(`^${tenant.slug} +active +${tenant.id} `, 'm'));
    expect(tenants.stdout).toMatch(/^system +active /m);

    const before = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as { items: { kid: string; state: string }[] };
    const next = before.items.find((k) => k.state === 'next')!;
    const current = before.items.find((k) => k.state === 'current')!;
    const rotated = await cli(['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toBe(`rotated: ${next.kid} (RS256) is the current signing key\n`);
    rotatedKid = next.kid;

    const after = await cli(['keys', 'list']);
    expect(after.code).toBe(0);
    expect(lines(after.stdout)[0]).toMatch(/^KID +ALG +STATE +CREATED +ACTIVATED +RETIRED +REVOKED +REMOVE AFTER$/);
    expect(after.stdout).toMatch(new RegExp(`^${current.kid} +RS256 +retired `, 'm'));
    expect(after.stdout).toMatch(new RegExp(`^${next.kid} +RS256 +current `, 'm'));
    expect(after.stdout).toMatch(/ RS256 +next /);
    // Nest's and the service's logs go to stderr, at warn: nothing to say here.
    expect(after.stdout).not.toContain('"level"');
    expect(after.stderr).toBe('');

    const pruned = await cli(['prune', '--json']);
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout)).toEqual({
      skipped: false,
      revokedAccessTokens: expect.any(Number),
      notBefore: expect.any(Number),
      cacheInvalidations: expect.any(Number),
      refreshFamilies: expect.any(Number),
      auditEvents: expect.any(Number),
    });
    const text = await cli(['prune']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^revoked access tokens: +\d+\n/);
  }, 180_000);

  it('api-keys create prints the key once; a tenant or scope it cannot have is status 2', async () => {
    const created = await cli(['api-keys', 'create', '--tenant', tenant.slug, '--scope', 'models:list', '--scope', 'chat:completions', '--name', 'ci', '--expires', '2099-01-01']);
    expect(created.code).toBe(0);
    const id = /^id: +(\S+)$/m.exec(created.stdout)?.[1];
    const key = /^key: +(tsk_\S+)$/m.exec(created.stdout)?.[1];
    expect(created.stdout).toMatch(/^scopes: +models:list chat:completions$/m);
    expect(created.stdout).toMatch(/^expires: +2099-01-01T00:00:00Z$/m);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    apiKey = { id: id!, key: key! };
    expect(created.stderr).not.toContain(key);

    const unknown = await cli(['api-keys', 'create', '--tenant', 'no-such-tenant', '--scope', 'models:list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('tessera: no tenant with the slug "no-such-tenant"; see tessera tenants list\n');
    const outside = await cli(['api-keys', 'create', '--tenant', tenant.slug, '--scope', 'not:offered']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toBe('tessera: --scope: not offered by the tenant: not:offered\n');
  }, 120_000);

  it('admin reset-password takes a password from stdin (a weak one is status 2) or generates one', async () => {
    const weak = await cli(['admin', 'reset-password', '--stdin'], { input: 'password1234\n' });
    expect(weak).toEqual({ code: 2, stdout: '', stderr: 'tessera: the password from stdin is too common\n' });

    stdinPassword = `stdin-${randomBytes(8).toString('hex')}`;
    const piped = await cli(['admin', 'reset-password', '--stdin'], { input: `${stdinPassword}\n` });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe('password of "admin" in the tenant "system" reset; its sessions are revoked and it is unlocked\n');

    const generated = await cli(['admin', 'reset-password', '--username', 'admin', '--tenant', 'system', '--json']);
    expect(generated.code).toBe(0);
    const body = JSON.parse(generated.stdout);
    expect(body).toEqual({ tenant: 'system', username: 'admin', userId: expect.any(String), disabled: false, password: expect.any(String) });
    generatedPassword = body.password;
    expect(generatedPassword.length).toBeGreaterThanOrEqual(24);
    expect(generated.stderr).not.toContain(generatedPassword);

    const nobody = await cli(['admin', 'reset-password', '--username', 'nobody']);
    expect(nobody).toEqual({ code: 2, stdout: '', stderr: 'tessera: no user "nobody" in the tenant "system"\n' });
  }, 120_000);

  it('the service then logs the admin in with the new password only, and takes the API key', async () => {
    await start();
    for (const old of [TEST_ADMIN_PASSWORD, stdinPassword]) {
      expect((await passwordLogin(old)).body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
    }
    const login = await passwordLogin(generatedPassword);
    expect(login.status).toBe(200);
    const [header] = (login.body.access_token as string).split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString()).kid).toBe(rotatedKid);
    // The reset revoked the sessions opened before it.
    const refresh = await app!.http().post('/token').type('form').send({ grant_type: 'refresh_token', client_id: 'admin-cli', refresh_token: adminRefreshToken });
    expect(refresh.body.error).toBe('invalid_grant');

    const machine = await app!.http().post('/token').auth(apiKey.id, apiKey.key).type('form').send({ grant_type: 'client_credentials' });
    expect(machine.status).toBe(200);
    expect(machine.body).toMatchObject({ token_type: 'Bearer', scope: 'models:list chat:completions' });
  }, 120_000);

  it('recorded every change in the audit trail as actor cli, with no IP and no secret', async () => {
    const events: { action: string; target: string; ip: string | null; user_agent: string; details: Record<string, unknown> }[] =
      await app!.dataSource.query(`SELECT action, target, ip, user_agent, details FROM audit_events WHERE actor = 'cli' ORDER BY at, id`);
    expect(events.map((e) => e.action).sort()).toEqual(['api_key.created', 'signing_key.rotated', 'user.updated', 'user.updated']);
    for (const e of events) {
      expect(e.ip).toBeNull();
      expect(e.user_agent).toMatch(/^tessera-cli/);
    }
    expect(events.find((e) => e.action === 'signing_key.rotated')!.target).toBe(rotatedKid);
    expect(events.find((e) => e.action === 'api_key.created')!.target).toBe(apiKey.id);
    const resets = events.filter((e) => e.action === 'user.updated');
    expect(resets[0].details).toEqual({ changed: ['password', 'unlocked'], revokedSessions: 2 });
    expect(resets[1].details).toEqual({ changed: ['password', 'unlocked'], revokedSessions: 0 });
    const all = JSON.stringify(events);
    for (const secret of [stdinPassword, generatedPassword, apiKey.key]) expect(all).not.toContain(secret);
    await stop();
  });

  it('bin/tessera.js asks for a build when there is none', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'tessera-cli-bare-'));
    try {
      mkdirSync(join(bare, 'bin'));
      copyFileSync(join(REPO, 'bin', 'tessera.js'), join(bare, 'bin', 'tessera.js'));
      const res = await exec(process.execPath, [join(bare, 'bin', 'tessera.js'), '--help'], { cwd: bare, env: { PATH: process.env.PATH } });
      expect(res.code).toBe(1);
      expect(lines(res.stderr)).toEqual([expect.stringMatching(/^tessera: the CLI is not built .*: run `npm run build` in \S+ first$/)]);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
