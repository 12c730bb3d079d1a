import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { DataSource, In, type EntityManager } from 'typeorm';
import { AuditService, type AuditActor } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { NotFoundError } from '../common/domain-errors';
import type { AppConfig, SigningAlg } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { toKeySummary, type KeyList, type KeySummary } from './dto/key-summary.response';
import { KeyCipher } from './key-cipher';
import { generateKeyMaterial, importPrivateKey } from './key-material';
import { KeyRing } from './key-ring';
import { resolveKek } from './kek';
import { SigningKey } from './signing-key.entity';

/** Contract 1: access tokens live at most 60 minutes; verifiers' clocks may differ by a minute. */
export const MAX_ACCESS_TOKEN_TTL = 3600;
export const CLOCK_SKEW = 60;
const KEYS_LOCK_KEY = 7_340_221_002;

/** Who asked for a key change: an admin; null is the scheduler. */
export type KeyActor = AuditActor | null;

/**
 * The signing-key lifecycle of contract 2.5: next → current → retired → removed, or revoked
 * at once. Every transition runs in a transaction under an advisory lock and re-reads the
 * state inside it, so with several instances on one database exactly one performs it.
 */
@Injectable()
export class KeysService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KeysService.name);
  private cipher: KeyCipher;
  private snapshot = KeyRing.empty();
  private fingerprint = '';
  private readonly privateKeys = new Map<string, KeyObject>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  get ring(): KeyRing {
    return this.snapshot;
  }

  async onApplicationBootstrap(): Promise<void> {
    const kek = resolveKek(this.config);
    if (kek.generatedPath) {
      this.logger.warn(
        `using a development key-encryption key ${kek.generatedNow ? 'generated into' : 'from'} ${kek.generatedPath}; set KEY_ENCRYPTION_KEY in production`,
      );
    }
    this.cipher = new KeyCipher(kek.key);
    await this.transition((m) => this.ensureKeys(m));
    await this.reload();
    // Half a max-age is the contract's bound for every instance to serve a new key set.
    const every = Math.min(30_000, Math.max(1000, (this.config.jwksMaxAge * 1000) / 4));
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Scheduled work: rotate when due, drop keys no token can need, pick up other instances' changes. */
  async tick(): Promise<void> {
    try {
      await this.transition(async (m) => {
        await this.rotateIfDue(m);
        await this.prune(m);
      });
      await this.reload();
    } catch (err) {
      this.logger.error(`key maintenance failed: ${(err as Error).message}`);
    }
  }

  /** POST /admin/keys/rotate: the next key signs from now on. */
  async rotateNow(actor: KeyActor = null): Promise<KeySummary> {
    const kid = await this.transition((m) => this.rotate(m, actor, 'manual'));
    await this.reload();
    return this.summaryOf(kid);
  }

  /** POST /admin/keys/{kid}/revoke: withdrawn at once; a revoked signing key is replaced first. */
  async revoke(kid: string, actor: KeyActor = null): Promise<KeySummary> {
    await this.transition(async (m) => {
      const key = await m.findOneBy(SigningKey, { kid });
      if (!key) throw new NotFoundError(`no signing key ${kid}`);
      if (key.state === 'revoked') return;
      if (key.state === 'current') await this.rotate(m, actor, 'revocation');
      const now = this.clock.now();
      await m.update(SigningKey, { kid }, { state: 'revoked', revokedAt: now, removeAfter: this.afterLastToken(now) });
      await this.ensureKeys(m);
      await this.audit.record({ action: 'signing_key.revoked', outcome: 'success', target: kid, ...auditActor(actor) }, m);
    });
    await this.reload();
    return this.summaryOf(kid);
  }

  async list(): Promise<KeyList> {
    const keys = await this.dataSource.getRepository(SigningKey).find({ order: { createdAt: 'ASC', kid: 'ASC' } });
    return { items: keys.map(toKeySummary) };
  }

  /** Re-reads the key set; rebuilds the ring only when a kid or state changed. */
  async reload(): Promise<void> {
    const keys = await this.dataSource.getRepository(SigningKey).find({
      where: { state: In(['next', 'current', 'retired', 'revoked']) },
    });
    const fingerprint = KeyRing.fingerprint(keys);
    if (fingerprint === this.fingerprint) return;
    const current = keys.find((k) => k.state === 'current');
    // Decrypt the next key too: a wrong KEK must fail now, not at the next rotation.
    for (const key of keys.filter((k) => k.state === 'current' || k.state === 'next')) this.privateKeyOf(key);
    this.snapshot = new KeyRing(
      current
        ? { kid: current.kid, alg: current.alg as SigningAlg, privateKey: this.privateKeyOf(current), activatedAt: current.activatedAt ?? current.createdAt }
        : null,
      keys,
    );
    this.fingerprint = fingerprint;
  }

  private privateKeyOf(key: SigningKey): KeyObject {
    let privateKey = this.privateKeys.get(key.kid);
    if (!privateKey) {
      if (key.kekId !== this.cipher.kekId) {
        throw new Error(
          `signing key ${key.kid} is encrypted under key-encryption key ${key.kekId}, but KEY_ENCRYPTION_KEY is ${this.cipher.kekId}: configure the key it was stored with`,
        );
      }
      privateKey = importPrivateKey(this.cipher.decrypt(key.privateKeyCiphertext, key.kid));
      this.privateKeys.set(key.kid, privateKey);
    }
    return privateKey;
  }

  private async transition<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [KEYS_LOCK_KEY]);
      return work(m);
    });
  }

  /** There is always a current key and exactly one pre-published next key. */
  private async ensureKeys(m: EntityManager): Promise<void> {
    const live = await m.findBy(SigningKey, { state: In(['current', 'next']) });
    if (!live.some((k) => k.state === 'current')) {
      const next = live.find((k) => k.state === 'next');
      if (next) await this.rotate(m, null, 'initial');
      else await this.insertKey(m, 'current');
    }
    if (!(await m.existsBy(SigningKey, { state: 'next' }))) await this.insertKey(m, 'next');
  }

  private async rotateIfDue(m: EntityManager): Promise<void> {
    // One query: a transaction's statements share one connection, which runs them one at a time
    // (pg deprecates queueing a second query on a busy client).
    const live = await m.findBy(SigningKey, { state: In(['current', 'next']) });
    const current = live.find((k) => k.state === 'current');
    const next = live.find((k) => k.state === 'next');
    if (!current || !next) return this.ensureKeys(m);
    const now = this.clock.now().getTime();
    const due = (current.activatedAt ?? current.createdAt).getTime() + this.config.keyRotationInterval * 1000 <= now;
    // Verifiers may hold a JWKS up to one max-age old: they must have seen the next key.
    const seen = next.publishedAt.getTime() + this.config.jwksMaxAge * 1000 <= now;
    if (due && seen) await this.rotate(m, null, 'scheduled');
  }

  private async rotate(m: EntityManager, actor: KeyActor, reason: string): Promise<string> {
    const now = this.clock.now();
    const current = await m.findOneBy(SigningKey, { state: 'current' });
    if (current) {
      await m.update(SigningKey, { kid: current.kid }, { state: 'retired', retiredAt: now, removeAfter: this.afterLastToken(now) });
    }
    let next = await m.findOneBy(SigningKey, { state: 'next' });
    next ??= await this.insertKey(m, 'next');
    await m.update(SigningKey, { kid: next.kid }, { state: 'current', activatedAt: now });
    await this.insertKey(m, 'next');
    await this.audit.record(
      { action: 'signing_key.rotated', outcome: 'success', target: next.kid, details: { reason, retired: current?.kid ?? null }, ...auditActor(actor) },
      m,
    );
    return next.kid;
  }

  private async prune(m: EntityManager): Promise<void> {
    await m
      .createQueryBuilder()
      .delete()
      .from(SigningKey)
      .where('state IN (:...states) AND remove_after <= :now', { states: ['retired', 'revoked'], now: this.clock.now() })
      .execute();
  }

  private async insertKey(m: EntityManager, state: 'current' | 'next'): Promise<SigningKey> {
    const material = await generateKeyMaterial(this.config.signingAlg);
    const now = this.clock.now();
    const key = m.create(SigningKey, {
      kid: material.kid,
      alg: material.alg,
      state,
      publicJwk: material.publicJwk,
      privateKeyCiphertext: this.cipher.encrypt(material.privateDer, material.kid),
      kekId: this.cipher.kekId,
      createdAt: now,
      publishedAt: now,
      activatedAt: state === 'current' ? now : null,
    });
    return m.save(key);
  }

  /** When no access token signed before `at` can still be unexpired anywhere. */
  private afterLastToken(at: Date): Date {
    return new Date(at.getTime() + (MAX_ACCESS_TOKEN_TTL + CLOCK_SKEW) * 1000);
  }

  private async summaryOf(kid: string): Promise<KeySummary> {
    const key = await this.dataSource.getRepository(SigningKey).findOneByOrFail({ kid });
    return toKeySummary(key);
  }
}

/** Audit fields of a key change; the scheduler and start-up record themselves as `system`. */
function auditActor(actor: KeyActor): { actor: string; ip: string | null; userAgent: string | null } {
  if (actor === null) return { actor: 'system', ip: null, userAgent: null };
  return { actor: actor.id, ip: actor.ip, userAgent: actor.userAgent };
}
