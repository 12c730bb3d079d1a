import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { checkChangeable, grantableScopes, type Actor } from '../auth/admin-policy';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import { keysetPage, type Page, type PageQuery } from '../common/pagination';
import { RevocationsService } from '../revocations/revocations.service';
import { TenantDirectory } from '../tenants/tenant-directory';
import { RevocationCache } from '../verify/revocation-cache';
import { hashSecret } from '../clients/client-secret';
import { ApiKey } from './api-key.entity';
import { newApiKey } from './api-key-format';
import { ApiKeysService } from './api-keys.service';
import type { CreateApiKeyDto } from './dto/create-api-key.dto';
import type { RotateApiKeyDto } from './dto/rotate-api-key.dto';
import { toApiKeyResponse, type ApiKeyResponse, type CreatedApiKeyResponse } from './dto/api-key.response';

/**
 * API keys as tenant and platform admins manage them (contract 5). Every lookup is by
 * (tenant, id), so another tenant's key is 404. Keys are revoked, never deleted: the row
 * stays, with revoked_at, for the audit trail and the list.
 */
@Injectable()
export class ApiKeyAdminService {
  constructor(
    @InjectRepository(ApiKey) private readonly repo: Repository<ApiKey>,
    private readonly apiKeys: ApiKeysService,
    private readonly dataSource: DataSource,
    private readonly directory: TenantDirectory,
    private readonly audit: AuditService,
    private readonly revocations: RevocationsService,
    private readonly cache: RevocationCache,
    private readonly clock: Clock,
  ) {}

  /** Revoked and expired keys included, in creation order. */
  async list(tenantId: string, page: PageQuery): Promise<Page<ApiKeyResponse>> {
    await this.directory.require(tenantId);
    const qb = this.repo.createQueryBuilder('k').where('k.tenant_id = :tenantId', { tenantId });
    const { items, nextCursor } = await keysetPage(qb, page, { column: 'created_at', order: 'ASC' });
    return { items: items.map(toApiKeyResponse), nextCursor };
  }

  async get(tenantId: string, id: string): Promise<ApiKeyResponse> {
    return toApiKeyResponse(await this.require(tenantId, id));
  }

  /** The whole key is in this response and nowhere else, ever. */
  async create(actor: Actor, tenantId: string, dto: CreateApiKeyDto): Promise<CreatedApiKeyResponse> {
    const tenant = await this.directory.require(tenantId);
    const scopes = grantableScopes(actor, tenant, dto.scopes);
    const expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt <= this.clock.now()) throw new InvalidInputError('must be in the future', 'expiresAt');
    return this.dataSource.transaction(async (m) => {
      const { apiKey, key } = await this.apiKeys.create({ tenantId, name: dto.name, scopes, expiresAt, allowedIps: dto.allowedIps ?? null, createdBy: actor.id }, m);
      const details = { name: apiKey.name, scopes: apiKey.scopes, expiresAt: apiKey.expiresAt, allowedIps: apiKey.allowedIps };
      await this.audit.recordAdmin(actor, { action: 'api_key.created', tenantId, target: apiKey.id, details }, m);
      return { ...toApiKeyResponse(apiKey), key };
    });
  }

  /**
   * Stops the key at once on this instance and within REVOCATION_CACHE_STALENESS on the others
   * (at /token and /verify alike: both judge keys from the revocation cache), and with it the
   * access tokens it obtained (a not-before entry for its id). Revoking a revoked key is a no-op
   * (204 again, no second audit event).
   */
  async revoke(actor: Actor, tenantId: string, id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const apiKey = await this.require(tenantId, id, m);
      checkChangeable(actor, apiKey);
      if (apiKey.revokedAt) return;
      const revokedAt = this.clock.now();
      await m.getRepository(ApiKey).update({ tenantId, id }, { revokedAt });
      // The access tokens it obtained by client_credentials go with it.
      await this.revocations.notBefore(m, tenantId, id, 'api_key_revoked');
      await this.audit.recordAdmin(actor, { action: 'api_key.revoked', tenantId, target: id, details: { name: apiKey.name } }, m);
    });
    this.cache.forgetApiKey(id);
  }

  /**
   * A new secret for the same key: same id (so the same id part in the key), scopes, expiry and
   * allowedIps. The old secret keeps working for `graceSeconds` (0: it stops at once on this
   * instance, and within REVOCATION_CACHE_STALENESS on the others: the row's trigger tells every
   * instance's cache). The new secret works everywhere at once. Only one previous secret is kept:
   * rotating again during a grace ends the grace of the secret before. Access tokens already
   * issued are not affected.
   */
  async rotate(actor: Actor, tenantId: string, id: string, dto: RotateApiKeyDto): Promise<CreatedApiKeyResponse> {
    const graceSeconds = dto.graceSeconds ?? 0;
    const rotated = await this.dataSource.transaction(async (m) => {
      const apiKey = await this.require(tenantId, id, m);
      checkChangeable(actor, apiKey);
      if (apiKey.revokedAt) throw new ConflictError('A revoked API key cannot be rotated.');
      const key = newApiKey(apiKey.id);
      const graceEnds = graceSeconds > 0 ? new Date(this.clock.now().getTime() + graceSeconds * 1000) : null;
      apiKey.previousSecretHash = graceEnds ? apiKey.secretHash : null;
      apiKey.previousSecretExpiresAt = graceEnds;
      apiKey.secretHash = hashSecret(key);
      const { secretHash, previousSecretHash, previousSecretExpiresAt } = apiKey;
      await m.getRepository(ApiKey).update({ tenantId, id }, { secretHash, previousSecretHash, previousSecretExpiresAt });
      await this.audit.recordAdmin(actor, { action: 'api_key.rotated', tenantId, target: id, details: { graceSeconds } }, m);
      return { ...toApiKeyResponse(apiKey), key };
    });
    this.cache.forgetApiKey(id);
    return rotated;
  }

  /** The key, locked for the rest of the transaction when `m` is given; 404 when absent. */
  private async require(tenantId: string, id: string, m?: EntityManager): Promise<ApiKey> {
    const apiKey = m
      ? await m.getRepository(ApiKey).findOne({ where: { tenantId, id }, lock: { mode: 'pessimistic_write' } })
      : await this.repo.findOneBy({ tenantId, id });
    if (!apiKey) throw new NotFoundError('No such API key.');
    return apiKey;
  }
}
