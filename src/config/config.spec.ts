import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe(loadConfig.name, () => {
  it('applies the contract defaults to an empty environment', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      port: 3000,
      databaseUrl: null,
      issuer: 'http://localhost:3000',
      tokens: { accessTtl: 900, refreshTtl: 30 * 86400, refreshIdleTtl: 7 * 86400 },
      signingAlg: 'RS256',
      keyRotationInterval: 30 * 86400,
      jwksMaxAge: 300,
      trustProxy: false,
      corsOrigins: [],
      throttlePerIp: { limit: 300, windowSeconds: 60 },
      throttlePerSubject: { limit: 30, windowSeconds: 60 },
      lockoutAfter: { limit: 10, windowSeconds: 900 },
      adminListen: null,
      revocationCacheStaleness: 5,
      quotaStoreFailure: 'local',
      auditRetention: 90 * 86400,
      routePolicy: { audience: null, rules: expect.arrayContaining([{ method: 'POST', path: '/v1/chat/completions', scopes: ['chat:completions'] }]) },
      argon2: { memoryKib: 19456, iterations: 2, parallelism: 1, threads: availableParallelism(), niceness: 10 },
    });
    expect(sut.dataDir).toMatch(/\/data$/);
    expect(Object.isFrozen(sut)).toBe(true);
  });

  it('takes the argon2 thread count and niceness, within bounds', () => {
    expect(loadConfig({ ARGON2_THREADS: '3', ARGON2_NICE: '0' }).argon2).toMatchObject({ threads: 3, niceness: 0 });
    expect(problemsOf({ ARGON2_THREADS: '0', ARGON2_NICE: '20' })).toEqual([
      expect.stringMatching(/^ARGON2_THREADS: /),
      expect.stringMatching(/^ARGON2_NICE: /),
    ]);
  });

  it('derives the issuer from PORT and strips a trailing slash from ISSUER', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://auth.example.com/' }).issuer).toBe('https://auth.example.com');
  });

  it('parses durations, rates, lists and host:port', () => {
    const sut = loadConfig({
      ACCESS_TOKEN_TTL: '5m',
      REFRESH_TOKEN_TTL: '2d',
      REFRESH_IDLE_TTL: '12h',
      THROTTLE_PER_IP: '50/10s',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:5173',
      ADMIN_LISTEN: '127.0.0.1:3001',
      TRUST_PROXY: 'true',
    });
    expect(sut.tokens).toEqual({ accessTtl: 300, refreshTtl: 172800, refreshIdleTtl: 43200 });
    expect(sut.throttlePerIp).toEqual({ limit: 50, windowSeconds: 10 });
    expect(sut.corsOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(sut.adminListen).toEqual({ host: '127.0.0.1', port: 3001 });
    expect(sut.trustProxy).toBe(true);
  });

  it.each([
    ['PORT', 'eighty', /^PORT: /],
    ['PORT', '70000', /^PORT: must be at most 65535/],
    ['DATABASE_URL', 'mysql://x', /^DATABASE_URL: must start with postgres/],
    ['ACCESS_TOKEN_TTL', '2h', /^ACCESS_TOKEN_TTL: must be between 300s and 3600s/],
    ['ACCESS_TOKEN_TTL', 'soon', /^ACCESS_TOKEN_TTL: "soon" is not a duration/],
    ['SIGNING_ALG', 'HS256', /^SIGNING_ALG: /],
    ['KEY_ENCRYPTION_KEY', 'c2hvcnQ=', /^KEY_ENCRYPTION_KEY: must be 32 bytes/],
    ['THROTTLE_PER_IP', 'lots', /^THROTTLE_PER_IP: "lots" is not a rate/],
    ['TRUST_PROXY', 'maybe', /^TRUST_PROXY: /],
    ['ADMIN_LISTEN', '3001', /^ADMIN_LISTEN: must be host:port/],
    ['ADMIN_PASSWORD', 'short', /^ADMIN_PASSWORD: must be at least 12 characters/],
    ['CORS_ORIGINS', '*', /^CORS_ORIGINS: "\*" is not an origin/],
    ['ISSUER', 'not a url', /^ISSUER: must be an http\(s\) URL/],
    ['QUOTA_STORE_FAILURE', 'fail-open', /^QUOTA_STORE_FAILURE: /],
  ])('names %s when it is %p', (name, value, message) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({ PORT: 'x', JWKS_MAX_AGE: '-1', LOCKOUT_AFTER: '0/15m' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['JWKS_MAX_AGE', 'LOCKOUT_AFTER', 'PORT']);
  });

  it('never echoes a secret value in its message', () => {
    const [problem] = problemsOf({ ADMIN_PASSWORD: 'hunter2' });
    expect(problem).not.toContain('hunter2');
    const [dbProblem] = problemsOf({ DATABASE_URL: 'mysql://u:pw-secret@h/db' });
    expect(dbProblem).not.toContain('pw-secret');
  });

  it('refuses to start in production without a key-encryption key', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'KEY_ENCRYPTION_KEY: required when NODE_ENV=production (a generated dev key is refused)',
    ]);
    const kek = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ NODE_ENV: 'production', KEY_ENCRYPTION_KEY: kek }).keyEncryptionKey).toEqual(
      Buffer.alloc(32, 7),
    );
  });

  it('takes QUOTA_STORE_FAILURE=deny', () => {
    expect(loadConfig({ QUOTA_STORE_FAILURE: 'deny' }).quotaStoreFailure).toBe('deny');
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: ' ' }).databaseUrl).toBeNull();
  });

  it('refuses an idle lifetime longer than the absolute one', () => {
    expect(problemsOf({ REFRESH_TOKEN_TTL: '1d', REFRESH_IDLE_TTL: '2d' })).toEqual([
      'REFRESH_IDLE_TTL: must not exceed REFRESH_TOKEN_TTL',
    ]);
  });

  it('reads ROUTE_POLICY_FILE at start-up and names the bad entry of a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    writeFileSync(join(dir, 'ok.yaml'), 'routes:\n  - { method: POST, path: /predict, scope: predict }\n');
    writeFileSync(join(dir, 'bad.yaml'), 'routes:\n  - { method: POST, path: /predict, scope: predict }\n  - { method: GET, path: nope, scopes: [] }\n');
    expect(loadConfig({ ROUTE_POLICY_FILE: join(dir, 'ok.yaml') }).routePolicy.rules).toEqual([{ method: 'POST', path: '/predict', scopes: ['predict'] }]);
    expect(problemsOf({ ROUTE_POLICY_FILE: join(dir, 'bad.yaml') })).toEqual(['ROUTE_POLICY_FILE: routes[1].path: must be a path starting with /']);
    expect(problemsOf({ REVOCATION_CACHE_STALENESS: '0s', AUDIT_RETENTION: '1h' }).map((p) => p.split(':')[0]).sort()).toEqual(['AUDIT_RETENTION', 'REVOCATION_CACHE_STALENESS']);
  });

  it('reads secrets from NAME_FILE (Docker secrets), dropping one trailing newline, and names a bad one without its contents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    const kek = Buffer.alloc(32, 7).toString('base64');
    writeFileSync(join(dir, 'kek'), `${kek}\n`);
    writeFileSync(join(dir, 'admin'), 'a password with a space \n');
    writeFileSync(join(dir, 'db'), 'postgres://tessera:s3cret@db:5432/tessera');
    const config = loadConfig({
      NODE_ENV: 'production',
      KEY_ENCRYPTION_KEY_FILE: join(dir, 'kek'),
      ADMIN_PASSWORD_FILE: join(dir, 'admin'),
      DATABASE_URL_FILE: join(dir, 'db'),
    });
    expect(config.keyEncryptionKey).toEqual(Buffer.alloc(32, 7));
    expect(config.adminPassword).toBe('a password with a space ');
    expect(config.databaseUrl).toBe('postgres://tessera:s3cret@db:5432/tessera');

    writeFileSync(join(dir, 'bad-db'), 'mysql://root:hunter2@db/x');
    const problems = problemsOf({ DATABASE_URL_FILE: join(dir, 'bad-db'), REDIS_URL_FILE: join(dir, 'missing'), ADMIN_PASSWORD: 'x'.repeat(12), ADMIN_PASSWORD_FILE: join(dir, 'admin') });
    expect(problems).toEqual([
      'ADMIN_PASSWORD_FILE: set ADMIN_PASSWORD or ADMIN_PASSWORD_FILE, not both',
      `REDIS_URL_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
      'DATABASE_URL: must start with postgres:// or postgresql://',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});

