import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AllowedIps } from '../clients/allowed-ips';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { HotQueries, type HotStatement } from '../database/hot-queries';
import { CLOCK_SKEW, KeysService } from '../keys/keys.service';
import { NOT_BEFORE_LIFETIME } from '../revocations/revocations.service';
import type { TenantSettings } from '../tenants/tenant.entity';
import { tenantQuotaOf, type TenantQuota } from './quota-windows';
import { SeqCursor } from './seq-cursor';

export interface TenantView {
  readonly id: string;
  readonly slug: string;
  readonly active: boolean;
  readonly scopes: readonly string[];
  /** Token lifetimes and the rest, as stored: the client_credentials grant issues from them. */
  readonly settings: TenantSettings;
  /** settings.quota, parsed when the row is loaded; null when the tenant sets none (no counting at all). */
  readonly quota: TenantQuota | null;
}

export interface ApiKeyView {
  readonly id: string;
  readonly tenantId: string;
  readonly secretHash: string;
  /** After a rotation with a grace period: the replaced secret's hash, and when it stops (epoch ms). */
  readonly previousSecretHash: string | null;
  readonly previousSecretExpiresAt: number | null;
  /** Parsed once when the row is loaded, not per request; null: any address. */
  readonly allowedIps: AllowedIps | null;
  readonly scopes: readonly string[];
  /** Epoch ms, or null for a key that does not expire. */
  readonly expiresAt: number | null;
  readonly revoked: boolean;
}

const POLL_LIMIT = 20_000;

interface LogRow {
  kind: 'jti' | 'nbf' | 'tenant' | 'api_key' | 'signing_key';
  seq: string;
  a: string;
  b: string | null;
  n: string | null;
}

// One round trip per poll: everything logged above the cursor, and the gaps below it.
const POLL: HotStatement = {
  name: 'revocation_poll',
  text: `SELECT 'jti' AS kind, seq, jti::text AS a, NULL::text AS b, floor(extract(epoch FROM expires_at))::int8 AS n
           FROM revoked_access_tokens WHERE (seq > $1 OR seq = ANY($2::int8[])) AND expires_at > $3
         UNION ALL
         SELECT 'nbf', seq, tenant_id::text, sub, floor(extract(epoch FROM nbf))::int8
           FROM token_not_before WHERE (seq > $1 OR seq = ANY($2::int8[])) AND expires_at > $3
         UNION ALL
         SELECT kind, seq, id, NULL, NULL FROM cache_invalidations WHERE seq > $1 OR seq = ANY($2::int8[])
         ORDER BY seq LIMIT ${POLL_LIMIT}`,
};
const SEQ_NOW: HotStatement = {
  name: 'revocation_seq_now',
  text: `SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS high FROM revocation_seq`,
};
const TENANTS: HotStatement = {
  name: 'revocation_tenants',
  text: `SELECT id, slug, status = 'active' AS active, scopes, settings FROM tenants WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[])`,
};
const API_KEY: HotStatement = {
  name: 'revocation_api_key',
  text: `SELECT id, tenant_id, secret_hash, previous_secret_hash, previous_secret_expires_at, allowed_ips, scopes, expires_at, revoked_at IS NOT NULL AS revoked
           FROM api_keys WHERE id = $1`,
};
const TOUCH_API_KEYS: HotStatement = {
  name: 'revocation_touch_api_keys',
  text: `UPDATE api_keys SET last_used_at = $2 WHERE id = ANY($1::uuid[]) AND (last_used_at IS NULL OR last_used_at < $3)`,
};

/** No transaction that writes a revocation runs longer than this. */
const GAP_TIMEOUT_MS = 120_000;
const MAX_API_KEYS = 100_000;
const LAST_USED_EVERY_MS = 60_000;
const SWEEP_EVERY_MS = 60_000;

/**
 * /verify's and /introspect's in-process view of what Postgres says about tokens: revoked jtis,
 * not-before instants (per subject and per tenant), tenants (existence, status, scopes), API
 * keys (looked up by id on first use), and the signing-key set (KeysService reloads on a
 * change). It polls one indexed change log every half REVOCATION_CACHE_STALENESS, so it lags
 * the database by less than the staleness. While the database is unreachable it answers from
 * the last state it had, says so once in the log, and reloads in full when it is back.
 */
@Injectable()
export class RevocationCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationCache.name);
  private jtis = new Map<string, number>();
  private notBefore = new Map<string, number>();
  private tenants = new Map<string, TenantView | null>();
  private readonly apiKeys = new Map<string, ApiKeyView | null>();
  private readonly loadingKeys = new Map<string, Promise<ApiKeyView | null>>();
  private readonly loadingTenants = new Map<string, Promise<TenantView | null>>();
  private readonly usedKeys = new Set<string>();
  private cursor = new SeqCursor(GAP_TIMEOUT_MS);
  private loaded = false;
  private failing = false;
  private refreshedAt = 0;
  private lastTouch = 0;
  private lastSweep = 0;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly hot: HotQueries,
    private readonly keys: KeysService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    const every = Math.max(250, (this.config.revocationCacheStaleness * 1000) / 2);
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Milliseconds since the last successful refresh (for health and metrics). */
  get ageMs(): number {
    return this.refreshedAt ? Date.now() - this.refreshedAt : Infinity;
  }

  /**
   * Brings the view up to date with what is committed now. Concurrent callers share a poll; one
   * that arrives while a poll runs waits for the next, which starts after its call.
   */
  refresh(): Promise<void> {
    if (!this.running) {
      this.running = this.poll().finally(() => (this.running = null));
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  isRevoked(jti: string): boolean {
    return this.jtis.has(jti);
  }

  /** The latest not-before instant (epoch seconds) of a subject, or of the tenant with sub null; 0 when none. */
  notBeforeOf(tenantId: string, sub: string | null): number {
    return this.notBefore.get(sub === null ? tenantId : `${tenantId} ${sub}`) ?? 0;
  }

  /** The tenant if known (null: it does not exist), or undefined when it must be loaded first. */
  tenant(id: string): TenantView | null | undefined {
    return this.tenants.get(id);
  }

  loadTenant(id: string): Promise<TenantView | null> {
    let loading = this.loadingTenants.get(id);
    if (!loading) {
      loading = this.hot
        .rows<TenantRow>(TENANTS, [[id]])
        .then((rows) => {
          const view = rows[0] ? toTenantView(rows[0]) : null;
          this.tenants.set(id, view);
          return view;
        })
        .finally(() => this.loadingTenants.delete(id));
      this.loadingTenants.set(id, loading);
    }
    return loading;
  }

  /**
   * Drops what this instance knows of a tenant it just changed (status, scopes, settings) or
   * deleted, so its own token endpoint and /verify see the change at once.
   */
  forgetTenant(id: string): void {
    this.tenants.delete(id);
  }

  /** The API key if known (null: no such key), or undefined when it must be loaded first. */
  apiKey(id: string): ApiKeyView | null | undefined {
    return this.apiKeys.get(id);
  }

  loadApiKey(id: string): Promise<ApiKeyView | null> {
    let loading = this.loadingKeys.get(id);
    if (!loading) {
      loading = this.hot
        .rows<ApiKeyRow>(API_KEY, [id])
        .then((rows) => {
          const row = rows[0];
          const view = row ? toApiKeyView(row) : null;
          if (this.apiKeys.size >= MAX_API_KEYS) this.apiKeys.delete(this.apiKeys.keys().next().value!);
          this.apiKeys.set(id, view);
          return view;
        })
        .finally(() => this.loadingKeys.delete(id));
      this.loadingKeys.set(id, loading);
    }
    return loading;
  }

  /**
   * Drops what this instance knows of a key it just revoked or rotated, so its own /token and
   * /verify see the change at once; other instances learn it from the log within the bound.
   */
  forgetApiKey(id: string): void {
    this.apiKeys.delete(id);
  }

  /** last_used_at of keys presented at /verify is written by the poll, at most once a minute. */
  noteApiKeyUse(id: string): void {
    this.usedKeys.add(id);
  }

  private async poll(): Promise<void> {
    try {
      if (!this.loaded || this.failing) await this.fullLoad();
      else await this.incremental();
      await this.touchUsedKeys();
      this.refreshedAt = Date.now();
      if (this.failing) this.logger.log('revocation cache reached the database again and caught up');
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        const since = this.refreshedAt ? new Date(this.refreshedAt).toISOString() : 'never';
        this.logger.warn(`revocation cache cannot reach the database (${(err as Error).message}); answering from its state of ${since}`);
      }
      this.failing = true;
      throw err;
    }
  }

  private async fullLoad(): Promise<void> {
    const now = this.clock.now();
    const [{ high }] = await this.hot.rows<{ high: string }>(SEQ_NOW, []);
    const jtis = new Map<string, number>();
    const notBefore = new Map<string, number>();
    const seen: number[] = [];
    let top = Number(high);
    for (let after = 0; ; ) {
      const rows = await this.hot.rows<LogRow>(POLL, [after, [], now]);
      for (const row of rows) {
        applyEntry(row, jtis, notBefore);
        const seq = Number(row.seq);
        seen.push(seq);
        if (seq > top) top = seq;
      }
      if (rows.length < POLL_LIMIT) break;
      after = Number(rows[rows.length - 1].seq);
    }
    const tenants = await this.hot.rows<TenantRow>(TENANTS, [null]);
    const cursor = new SeqCursor(GAP_TIMEOUT_MS);
    cursor.startAt(top, seen, Date.now());
    this.jtis = jtis;
    this.notBefore = notBefore;
    this.tenants = new Map(tenants.map((t) => [t.id, toTenantView(t)]));
    this.apiKeys.clear();
    this.cursor = cursor;
    this.loaded = true;
    await this.keys.reload();
  }

  private async incremental(): Promise<void> {
    for (;;) {
      const rows = await this.hot.rows<LogRow>(POLL, [this.cursor.high, this.cursor.pending(Date.now()), this.clock.now()]);
      await this.apply(rows);
      if (rows.length < POLL_LIMIT) break;
    }
    this.sweep();
  }

  private async apply(rows: readonly LogRow[]): Promise<void> {
    const tenantIds = new Set<string>();
    let keysChanged = false;
    for (const row of rows) {
      if (row.kind === 'tenant') tenantIds.add(row.a);
      else if (row.kind === 'api_key') this.apiKeys.delete(row.a);
      else if (row.kind === 'signing_key') keysChanged = true;
      else applyEntry(row, this.jtis, this.notBefore);
    }
    if (tenantIds.size) {
      const found = await this.hot.rows<TenantRow>(TENANTS, [[...tenantIds]]);
      for (const id of tenantIds) this.tenants.set(id, null);
      for (const t of found) this.tenants.set(t.id, toTenantView(t));
    }
    if (keysChanged) await this.keys.reload();
    this.cursor.observe(
      rows.map((r) => Number(r.seq)),
      Date.now(),
    );
  }

  /** Drops entries no unexpired token can need any more. */
  private sweep(): void {
    const nowMs = Date.now();
    if (nowMs - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = nowMs;
    const now = this.clock.nowSeconds();
    for (const [jti, exp] of this.jtis) if (exp < now - CLOCK_SKEW) this.jtis.delete(jti);
    for (const [key, nbf] of this.notBefore) if (nbf < now - NOT_BEFORE_LIFETIME) this.notBefore.delete(key);
  }

  private async touchUsedKeys(): Promise<void> {
    if (!this.usedKeys.size || Date.now() - this.lastTouch < LAST_USED_EVERY_MS) return;
    const ids = [...this.usedKeys];
    this.usedKeys.clear();
    this.lastTouch = Date.now();
    const now = this.clock.now();
    await this.hot.rows(TOUCH_API_KEYS, [ids, now, new Date(now.getTime() - LAST_USED_EVERY_MS)]);
  }
}

interface TenantRow {
  id: string;
  slug: string;
  active: boolean;
  scopes: string[];
  settings: TenantSettings | null;
}

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_secret_expires_at: Date | null;
  allowed_ips: string[] | null;
  scopes: string[];
  expires_at: Date | null;
  revoked: boolean;
}

function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    secretHash: row.secret_hash,
    previousSecretHash: row.previous_secret_hash,
    previousSecretExpiresAt: row.previous_secret_expires_at ? row.previous_secret_expires_at.getTime() : null,
    allowedIps: AllowedIps.of(row.allowed_ips),
    scopes: row.scopes,
    expiresAt: row.expires_at ? row.expires_at.getTime() : null,
    revoked: row.revoked,
  };
}

function toTenantView(row: TenantRow): TenantView {
  const settings = row.settings ?? {};
  return { id: row.id, slug: row.slug, active: row.active, scopes: row.scopes, settings, quota: tenantQuotaOf(settings.quota) };
}

function applyEntry(row: LogRow, jtis: Map<string, number>, notBefore: Map<string, number>): void {
  if (row.kind === 'jti') {
    jtis.set(row.a, Number(row.n));
  } else if (row.kind === 'nbf') {
    const key = row.b === null ? row.a : `${row.a} ${row.b}`;
    notBefore.set(key, Math.max(notBefore.get(key) ?? 0, Number(row.n)));
  }
}
