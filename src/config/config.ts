import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { loadRoutePolicy, RoutePolicyError, type RoutePolicy } from '../verify/route-policy';
import { parseDurationSeconds, parseRate, type Rate } from './duration';

export const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export interface AppConfig {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly logLevel: string;
  readonly databaseUrl: string | null;
  readonly databasePoolSize: number;
  readonly dataDir: string;
  readonly issuer: string;
  readonly defaultAudience: string;
  /** 32 raw bytes, or null outside production (then keys/ generates one into dataDir). */
  readonly keyEncryptionKey: Buffer | null;
  readonly adminPassword: string | null;
  readonly tokens: {
    readonly accessTtl: number;
    readonly refreshTtl: number;
    readonly refreshIdleTtl: number;
  };
  readonly signingAlg: SigningAlg;
  readonly keyRotationInterval: number;
  readonly jwksMaxAge: number;
  readonly routePolicyFile: string | null;
  /** GET /verify's rules: ROUTE_POLICY_FILE's, checked at start-up, or the built-in policy. */
  readonly routePolicy: RoutePolicy;
  /** Seconds /verify's view of revocations, tenants and API keys may lag the database. */
  readonly revocationCacheStaleness: number;
  /** Seconds audit events are kept. */
  readonly auditRetention: number;
  /** GET /metrics and the hooks that count for it. */
  readonly metricsEnabled: boolean;
  readonly trustProxy: boolean;
  readonly corsOrigins: readonly string[];
  readonly redisUrl: string | null;
  /** What /verify's quotas do while Redis is unreachable: count in the process, or refuse (contract 2.7). */
  readonly quotaStoreFailure: 'local' | 'deny';
  readonly throttlePerIp: Rate;
  readonly throttlePerSubject: Rate;
  readonly lockoutAfter: Rate;
  readonly adminListen: { readonly host: string; readonly port: number } | null;
  readonly argon2: {
    readonly memoryKib: number;
    readonly iterations: number;
    readonly parallelism: number;
    /** Worker threads hashing at once (default: one per core). */
    readonly threads: number;
    /** Niceness of those threads on Linux, 0 (the process's own) to 19. */
    readonly niceness: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const duration = (min: number, max: number) =>
  z.string().transform((raw, ctx) => {
    const seconds = parseDurationSeconds(raw);
    if (seconds === null) {
      ctx.addIssue({ code: 'custom', message: `"${raw}" is not a duration like 900, 15m, 12h or 30d` });
      return z.NEVER;
    }
    if (seconds < min || seconds > max) {
      ctx.addIssue({ code: 'custom', message: `must be between ${min}s and ${max}s` });
      return z.NEVER;
    }
    return seconds;
  });

const rate = z.string().transform((raw, ctx) => {
  const parsed = parseRate(raw);
  if (!parsed) ctx.addIssue({ code: 'custom', message: `"${raw}" is not a rate like 300/60s` });
  return parsed ?? z.NEVER;
});

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const bool = z
  .string()
  .transform((raw) => raw.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const httpUrl = z
  .string()
  .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(1, 65535).default('3000'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z
    .string()
    .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_POOL_SIZE: int(1, 200).default('10'),
  DATA_DIR: z.string().min(1).default('./data'),
  ISSUER: httpUrl.optional(),
  DEFAULT_AUDIENCE: z.string().min(1).optional(),
  KEY_ENCRYPTION_KEY: z
    .string()
    .transform((raw, ctx) => {
      const key = Buffer.from(raw, 'base64');
      if (key.length !== 32 || key.toString('base64') !== raw.trim()) {
        ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, base64-encoded (openssl rand -base64 32)' });
        return z.NEVER;
      }
      return key;
    })
    .optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(1024).optional(),
  ACCESS_TOKEN_TTL: duration(300, 3600).default('15m'),
  REFRESH_TOKEN_TTL: duration(300, 365 * 86400).default('30d'),
  REFRESH_IDLE_TTL: duration(300, 365 * 86400).default('7d'),
  SIGNING_ALG: z.enum(SIGNING_ALGS).default('RS256'),
  KEY_ROTATION_INTERVAL: duration(3600, 3650 * 86400).default('30d'),
  JWKS_MAX_AGE: int(0, 86400).default('300'),
  ROUTE_POLICY_FILE: z.string().min(1).optional(),
  REVOCATION_CACHE_STALENESS: duration(1, 300).default('5s'),
  AUDIT_RETENTION: duration(86400, 3650 * 86400).default('90d'),
  METRICS_ENABLED: bool.default('true'),
  TRUST_PROXY: bool.default('false'),
  CORS_ORIGINS: z.string().default(''),
  REDIS_URL: z
    .string()
    .refine((u) => /^rediss?:\/\//.test(u), 'must start with redis:// or rediss://')
    .optional(),
  QUOTA_STORE_FAILURE: z.enum(['local', 'deny']).default('local'),
  THROTTLE_PER_IP: rate.default('300/60s'),
  THROTTLE_PER_SUBJECT: rate.default('30/60s'),
  LOCKOUT_AFTER: rate.default('10/15m'),
  ADMIN_LISTEN: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:3001')
    .optional(),
  ARGON2_MEMORY_KIB: int(8192, 4 * 1024 * 1024).default('19456'),
  ARGON2_ITERATIONS: int(1, 20).default('2'),
  ARGON2_PARALLELISM: int(1, 16).default('1'),
  ARGON2_THREADS: int(1, 256).optional(),
  ARGON2_NICE: int(0, 19).default('10'),
});

/** The variables that may instead be read from a file named by NAME_FILE. */
export const SECRET_FILE_VARIABLES = ['KEY_ENCRYPTION_KEY', 'ADMIN_PASSWORD', 'DATABASE_URL', 'REDIS_URL'] as const;

/**
 * Docker and Kubernetes secrets arrive as files: NAME_FILE names the file that holds NAME, as
 * the official Postgres image reads POSTGRES_PASSWORD_FILE. One trailing newline (which `echo`
 * and editors add) is dropped. A problem names the variable and the path, never the contents.
 */
function withSecretFiles(env: Env, problems: string[]): Env {
  const out: Env = { ...env };
  for (const name of SECRET_FILE_VARIABLES) {
    const path = env[`${name}_FILE`]?.trim();
    if (!path) continue;
    if (env[name]?.trim()) {
      problems.push(`${name}_FILE: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      out[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
  }
  return out;
}

function originList(raw: string, problems: string[]): string[] {
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin === '*' || !/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com (no "*")`);
    }
  }
  return origins;
}

/**
 * Validates the environment once. Every bad variable is reported in one ConfigError, so
 * an operator fixes them all in one go.
 */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  // Blank values mean "unset", as with most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(withSecretFiles(env, problems)).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError([...problems, ...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)]);
  }
  const e = parsed.data;
  const corsOrigins = originList(e.CORS_ORIGINS, problems);
  if (e.NODE_ENV === 'production' && !e.KEY_ENCRYPTION_KEY) {
    problems.push('KEY_ENCRYPTION_KEY: required when NODE_ENV=production (a generated dev key is refused)');
  }
  if (e.REFRESH_IDLE_TTL > e.REFRESH_TOKEN_TTL) {
    problems.push('REFRESH_IDLE_TTL: must not exceed REFRESH_TOKEN_TTL');
  }
  let routePolicy: RoutePolicy | null = null;
  try {
    routePolicy = loadRoutePolicy(e.ROUTE_POLICY_FILE ?? null);
  } catch (err) {
    if (!(err instanceof RoutePolicyError)) throw err;
    problems.push(`ROUTE_POLICY_FILE: ${err.message}`);
  }
  if (problems.length) throw new ConfigError(problems);

  const issuer = e.ISSUER ?? `http://localhost:${e.PORT}`;
  const [adminHost, adminPort] = e.ADMIN_LISTEN ? e.ADMIN_LISTEN.split(':') : [];
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL ?? null,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: resolve(e.DATA_DIR),
    issuer,
    defaultAudience: e.DEFAULT_AUDIENCE ?? issuer,
    keyEncryptionKey: e.KEY_ENCRYPTION_KEY ?? null,
    adminPassword: e.ADMIN_PASSWORD ?? null,
    tokens: { accessTtl: e.ACCESS_TOKEN_TTL, refreshTtl: e.REFRESH_TOKEN_TTL, refreshIdleTtl: e.REFRESH_IDLE_TTL },
    signingAlg: e.SIGNING_ALG,
    keyRotationInterval: e.KEY_ROTATION_INTERVAL,
    jwksMaxAge: e.JWKS_MAX_AGE,
    routePolicyFile: e.ROUTE_POLICY_FILE ?? null,
    routePolicy: routePolicy!,
    revocationCacheStaleness: e.REVOCATION_CACHE_STALENESS,
    auditRetention: e.AUDIT_RETENTION,
    metricsEnabled: e.METRICS_ENABLED,
    trustProxy: e.TRUST_PROXY,
    corsOrigins,
    redisUrl: e.REDIS_URL ?? null,
    quotaStoreFailure: e.QUOTA_STORE_FAILURE,
    throttlePerIp: e.THROTTLE_PER_IP,
    throttlePerSubject: e.THROTTLE_PER_SUBJECT,
    lockoutAfter: e.LOCKOUT_AFTER,
    adminListen: adminHost ? { host: adminHost, port: Number(adminPort) } : null,
    argon2: {
      memoryKib: e.ARGON2_MEMORY_KIB,
      iterations: e.ARGON2_ITERATIONS,
      parallelism: e.ARGON2_PARALLELISM,
      threads: e.ARGON2_THREADS ?? availableParallelism(),
      niceness: e.ARGON2_NICE,
    },
  });
}

/** The process environment over a `.env` file in the working directory (the environment wins). */
export function readEnvironment(cwd = process.cwd()): Env {
  let fromFile: Env = {};
  try {
    fromFile = parseEnv(readFileSync(resolve(cwd, '.env'), 'utf8')) as Env;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { ...fromFile, ...process.env };
}
