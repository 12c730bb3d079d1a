import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { EntityManager, Repository } from 'typeorm';
import { hashSecret } from '../clients/client-secret';
import { Clock } from '../common/clock';
import { ApiKey } from './api-key.entity';
import { API_KEY_PREFIX, newApiKey } from './api-key-format';
import { apiKeySecretMatches } from './api-key-secret';

const LAST_USED_EVERY_MS = 60_000;

export interface NewApiKey {
  tenantId: string;
  name: string;
  scopes: string[];
  expiresAt?: Date | null;
  /** CIDRs it may be used from; null or absent: any address. */
  allowedIps?: string[] | null;
  createdBy?: string | null;
}

@Injectable()
export class ApiKeysService {
  /** When this instance last wrote last_used_at per key: at most one write a minute per key. */
  private readonly lastTouched = new Map<string, number>();

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly clock: Clock,
  ) {}

  /** The whole secret is returned once here; only its hash is stored. Pass `manager` to insert in its transaction. */
  async create(input: NewApiKey, manager?: EntityManager): Promise<{ apiKey: ApiKey; key: string }> {
    const repo = manager ? manager.getRepository(ApiKey) : this.keys;
    const id = randomUUID();
    const key = newApiKey(id);
    const apiKey = await repo.save(
      repo.create({
        id,
        tenantId: input.tenantId,
        name: input.name,
        keyPrefix: key.slice(0, API_KEY_PREFIX.length + 6),
        secretHash: hashSecret(key),
        scopes: input.scopes,
        expiresAt: input.expiresAt ?? null,
        allowedIps: input.allowedIps ?? null,
        previousSecretHash: null,
        previousSecretExpiresAt: null,
        createdBy: input.createdBy ?? null,
      }),
    );
    return { apiKey, key };
  }

  /**
   * The live key with this id and secret, or null (unknown, wrong secret, revoked, expired).
   * After a rotation the previous secret counts too until its grace ends. Where the caller may
   * use it from (allowedIps) is the caller's check: ClientAuthService judges keys and clients alike.
   */
  async authenticate(id: string, secret: string): Promise<ApiKey | null> {
    if (!isUUID(id)) return null;
    const apiKey = await this.keys.findOneBy({ id });
    if (!apiKey) return null;
    const now = this.clock.now();
    const secrets = { secretHash: apiKey.secretHash, previousSecretHash: apiKey.previousSecretHash, previousSecretExpiresAt: apiKey.previousSecretExpiresAt?.getTime() ?? null };
    if (!apiKeySecretMatches(secret, secrets, now.getTime())) return null;
    if (apiKey.revokedAt || (apiKey.expiresAt && apiKey.expiresAt <= now)) return null;
    this.touch(apiKey.id, now);
    return apiKey;
  }

  /** Best effort and off the request's path: a failed write must not fail the request. */
  private touch(id: string, now: Date): void {
    const last = this.lastTouched.get(id) ?? 0;
    if (now.getTime() - last < LAST_USED_EVERY_MS) return;
    this.lastTouched.set(id, now.getTime());
    void this.keys
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: now })
      .where('id = :id AND (last_used_at IS NULL OR last_used_at < :before)', {
        id,
        before: new Date(now.getTime() - LAST_USED_EVERY_MS),
      })
      .execute()
      .catch(() => this.lastTouched.delete(id));
  }
}
