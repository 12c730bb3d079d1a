import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { EntityManager, Repository } from 'typeorm';
import { hashSecret } from '../clients/client-secret';
import { Clock } from '../common/clock';
import { ApiKey } from './api-key.entity';
import { API_KEY_PREFIX, newApiKey } from './api-key-format';

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
   * last_used_at of a key that just authenticated at the token endpoint, written at most once a
   * minute per key, off the request's path: a failed write must not fail the request.
   */
  recordUse(id: string): void {
    const now = this.clock.now();
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
