import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { OAUTH_ERROR_CODES } from '../docs/oauth.schemas';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { KeysService } from '../keys/keys.service';
import { PasswordHasher } from '../users/password-hasher';
import { QuotaService } from '../verify/quota.service';
import { RevocationCache } from '../verify/revocation-cache';
import { ResponseTally } from './response-tally';

export const METRICS_PATH = '/metrics';

const GRANT_TYPES = new Set(['password', 'refresh_token', 'client_credentials']);
const ERROR_CODES = new Set<string>([...OAUTH_ERROR_CODES, 'invalid_token', 'insufficient_scope']);
const OAUTH_ROUTES = new Set(['/token', '/revoke', '/introspect', '/revocations']);
const VERIFY_OUTCOMES: Record<number, string> = { 200: 'allowed', 204: 'allowed', 401: 'unauthenticated', 403: 'forbidden', 429: 'rate_limited', 503: 'unavailable' };

/**
 * Prometheus metrics (contract 3), one registry per app. Labels hold routes as Fastify matched
 * them (`/admin/tenants/:tenantId`, never the URL), methods, statuses, grant types, outcomes
 * and error codes from fixed sets: never a tenant, user, client or token id. Request, grant,
 * throttling and /verify figures come from Fastify's response hooks, so no route or service
 * carries counting code; the rest are read when Prometheus scrapes.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  private readonly responses = new ResponseTally();
  /** /verify decisions by outcome, in plain numbers for the same reason as ResponseTally. */
  private readonly verifyOutcomes = new Map<string, number>();
  private readonly grants = new Counter({ name: 'tessera_grants_total', help: 'POST /token by grant type and outcome (success or the OAuth error code).', labelNames: ['grant_type', 'outcome'], registers: [this.registry] });
  private readonly throttled = new Counter({ name: 'tessera_throttled_total', help: 'Requests refused 429 by the throttler, by OAuth route.', labelNames: ['route'], registers: [this.registry] });
  /** Counted where they happen (refresh-tokens.service, users.service). */
  readonly reuseDetected = new Counter({ name: 'tessera_refresh_reuse_detected_total', help: 'Refresh tokens presented again after use (the family was revoked).', registers: [this.registry] });
  readonly lockedOut = new Counter({ name: 'tessera_locked_out_logins_total', help: 'Login attempts on a locked account.', registers: [this.registry] });

  constructor(
    private readonly http: HttpAdapterHost,
    private readonly keys: KeysService,
    private readonly cache: RevocationCache,
    private readonly quotas: QuotaService,
    // Looked up when scraped: UsersModule injects this service, so it cannot be imported here.
    private readonly moduleRef: ModuleRef,
    dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const pool = (dataSource.driver as PostgresDriver).master as Pool;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.responses.register(this.registry);
    const outcomes = this.verifyOutcomes;
    new Counter({
      name: 'tessera_verify_decisions_total',
      help: 'GET /verify decisions by outcome.',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        for (const [outcome, n] of outcomes) this.inc({ outcome }, n);
      },
    });
    const keysRef = this.keys;
    const interval = config.keyRotationInterval;
    new Gauge({
      name: 'tessera_signing_key_current_age_seconds',
      help: 'Seconds since the current signing key started signing.',
      registers,
      collect() {
        const since = keysRef.ring.current?.activatedAt;
        this.set(since ? (Date.now() - since.getTime()) / 1000 : NaN);
      },
    });
    new Gauge({
      name: 'tessera_signing_key_next_rotation_seconds',
      help: 'Seconds until the scheduled rotation is due (0 when due).',
      registers,
      collect() {
        const since = keysRef.ring.current?.activatedAt;
        this.set(since ? Math.max(0, since.getTime() / 1000 + interval - Date.now() / 1000) : NaN);
      },
    });
    const cacheRef = this.cache;
    new Gauge({
      name: 'tessera_revocation_cache_age_seconds',
      help: 'Seconds since /verify’s revocation cache last caught up with the database.',
      registers,
      collect() {
        this.set(cacheRef.ageMs / 1000);
      },
    });
    const quotasRef = this.quotas;
    new Gauge({
      name: 'tessera_quota_store_degraded',
      help: '1 while /verify’s quotas cannot be counted in Redis (QUOTA_STORE_FAILURE applies), else 0.',
      registers,
      collect() {
        this.set(quotasRef.degraded ? 1 : 0);
      },
    });
    const refs = this.moduleRef;
    new Gauge({
      name: 'tessera_argon2_queue_length',
      help: 'Passwords waiting for a hashing thread.',
      registers,
      collect() {
        this.set(refs.get(PasswordHasher, { strict: false }).waiting);
      },
    });
    new Gauge({
      name: 'tessera_db_pool_connections',
      help: 'Database pool connections by state.',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }

  onModuleInit(): void {
    if (!this.config.metricsEnabled) return;
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    fastify.get(METRICS_PATH, async (_request, reply) => {
      reply.header('content-type', this.registry.contentType).header('cache-control', 'no-store');
      return this.registry.metrics();
    });
  }

  /**
   * Called by createApp before the routes are registered (Nest registers them before any
   * onModuleInit): the grant counter is an onSend hook of /token alone, so no other route runs
   * it, and every response is counted once, in one onResponse hook.
   */
  instrument(fastify: FastifyInstance): void {
    if (!this.config.metricsEnabled) return;
    // The OAuth error code is in the body the error responder wrote: read it as it goes out.
    const countGrant = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      this.countGrant(request, reply, payload);
      done(null, payload);
    };
    fastify.addHook('onRoute', (route) => {
      if (route.url === '/token') route.onSend = [...toArray(route.onSend), countGrant] as typeof route.onSend;
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      this.countResponse(request, reply);
      done();
    });
  }

  /**
   * Counts answers given before Fastify (the JWKS's, see keys/jwks.route.ts) of one route,
   * method and status, as the response hook counts Fastify's: call it with each one's seconds.
   */
  responseRecorder(route: string, method: string, status: number): (seconds: number) => void {
    return this.config.metricsEnabled ? this.responses.recorder(route, method, status) : () => undefined;
  }

  private countResponse(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    this.responses.record(route, request.method, status, reply.elapsedTime / 1000);
    if (status === 429 && OAUTH_ROUTES.has(route)) this.throttled.inc({ route });
    if (route === '/verify' || route === '/verify/*') {
      // Asked for by nginx, a 429 or 503 is answered 403 with X-Auth-Status naming it.
      const real = status === 403 ? Number(reply.getHeader('x-auth-status') ?? status) : status;
      const outcome = VERIFY_OUTCOMES[real] ?? 'error';
      this.verifyOutcomes.set(outcome, (this.verifyOutcomes.get(outcome) ?? 0) + 1);
    }
  }

  private countGrant(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const raw = (request.body as Record<string, unknown> | undefined)?.grant_type;
    const grantType = typeof raw === 'string' && GRANT_TYPES.has(raw) ? raw : 'other';
    let outcome = 'success';
    if (reply.statusCode !== 200) {
      const match = typeof payload === 'string' ? /"error":"([a-z_]+)"/.exec(payload) : null;
      outcome = match && ERROR_CODES.has(match[1]) ? match[1] : 'error';
    }
    this.grants.inc({ grant_type: grantType, outcome });
  }
}

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
