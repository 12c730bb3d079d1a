import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { requirePlatform, type Actor } from '../auth/admin-policy';
import { ADMIN_PLATFORM_SCOPE, ADMIN_TENANT_SCOPE, INFERENCE_SCOPES, SYSTEM_TENANT_SLUG } from '../auth/scopes';
import { AuditService } from '../audit/audit.service';
import { ClientsService } from '../clients/clients.service';
import { Clock } from '../common/clock';
import { isUniqueViolation } from '../common/database-errors';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import { keysetPage, type Page, type PageQuery } from '../common/pagination';
import { RevocationsService } from '../revocations/revocations.service';
import { RefreshTokensService } from '../sessions/refresh-tokens.service';
import { RevocationCache } from '../verify/revocation-cache';
import type { CreateTenantDto } from './dto/create-tenant.dto';
import { toTenantResponse, type CreatedTenantResponse, type TenantResponse } from './dto/tenant.response';
import type { UpdateTenantDto } from './dto/update-tenant.dto';
import { TenantDirectory } from './tenant-directory';
import { Tenant, type TenantSettings } from './tenant.entity';
import { cleanSettings, definedKeys, mergeSettings } from './tenant-settings';

export interface NewTenant {
  slug: string;
  name: string;
  scopes: readonly string[];
  settings: TenantSettings;
}

/** The default client of a new tenant (contract 1): public, for password logins of its users. */
const DEFAULT_CLIENT_GRANTS = ['password', 'refresh_token'];

@Injectable()
export class TenantsService {
  constructor(
    @InjectRepository(Tenant) private readonly tenants: Repository<Tenant>,
    private readonly directory: TenantDirectory,
    private readonly dataSource: DataSource,
    private readonly clients: ClientsService,
    private readonly sessions: RefreshTokensService,
    private readonly revocations: RevocationsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly cache: RevocationCache,
  ) {}

  findBySlug(slug: string, manager?: EntityManager): Promise<Tenant | null> {
    return (manager ? manager.getRepository(Tenant) : this.tenants).findOneBy({ slug });
  }

  async insert(input: NewTenant, manager?: EntityManager): Promise<Tenant> {
    const repo = manager ? manager.getRepository(Tenant) : this.tenants;
    return repo.save(repo.create({ ...input, scopes: [...input.scopes], status: 'active' }));
  }

  /** A tenant with its default public client, and the audit event, in one transaction. */
  async create(actor: Actor, dto: CreateTenantDto): Promise<CreatedTenantResponse> {
    const scopes = [...new Set(dto.scopes ?? INFERENCE_SCOPES)];
    checkOfferedScopes(scopes);
    try {
      return await this.dataSource.transaction(async (m) => {
        const tenant = await this.insert({ slug: dto.slug, name: dto.name, scopes, settings: cleanSettings(dto.settings ?? {}) }, m);
        const { client } = await this.clients.create(
          { tenantId: tenant.id, name: `${tenant.name} default client`, type: 'public', grantTypes: DEFAULT_CLIENT_GRANTS, scopes: [...scopes, ADMIN_TENANT_SCOPE] },
          m,
        );
        await this.audit.recordAdmin(actor, { action: 'tenant.created', tenantId: tenant.id, target: tenant.id, details: { slug: tenant.slug } }, m);
        return {
          ...toTenantResponse(tenant),
          defaultClient: { clientId: client.clientId, type: 'public', grantTypes: client.grantTypes, scopes: client.scopes },
        };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A tenant with the slug "${dto.slug}" exists.`);
      throw err;
    }
  }

  async list(page: PageQuery): Promise<Page<TenantResponse>> {
    const { items, nextCursor } = await keysetPage(this.tenants.createQueryBuilder('t'), page, { column: 'created_at', order: 'ASC' });
    return { items: items.map(toTenantResponse), nextCursor };
  }

  async get(tenantId: string): Promise<TenantResponse> {
    return toTenantResponse(await this.directory.require(tenantId));
  }

  /**
   * Name and token lifetimes are the tenant admin's; status, offered scopes and quotas are
   * the platform's. Suspension takes effect on the tenant's next login, refresh or token check.
   */
  async update(actor: Actor, tenantId: string, dto: UpdateTenantDto): Promise<TenantResponse> {
    if (dto.status !== undefined) requirePlatform(actor, 'a tenant’s status');
    if (dto.scopes !== undefined) requirePlatform(actor, 'the scopes a tenant offers');
    if (dto.settings?.quota !== undefined) requirePlatform(actor, 'quotas');
    const updated = await this.dataSource.transaction(async (m) => {
      const tenant = await m.getRepository(Tenant).findOne({ where: { id: tenantId }, lock: { mode: 'pessimistic_write' } });
      if (!tenant) throw new NotFoundError('No such tenant.');
      const changed: string[] = [];
      if (dto.name !== undefined) {
        tenant.name = dto.name;
        changed.push('name');
      }
      if (dto.scopes !== undefined) {
        tenant.scopes = [...new Set(dto.scopes)];
        checkOfferedScopes(tenant.scopes);
        changed.push('scopes');
      }
      if (dto.settings !== undefined) {
        tenant.settings = mergeSettings(tenant.settings, dto.settings) as TenantSettings;
        changed.push(...definedKeys(dto.settings).map((k) => `settings.${k}`));
      }
      if (dto.status !== undefined && dto.status !== tenant.status) {
        if (tenant.slug === SYSTEM_TENANT_SLUG) throw new ConflictError('The system tenant cannot be suspended.');
        tenant.status = dto.status;
        tenant.suspendedAt = dto.status === 'suspended' ? this.clock.now() : null;
        // Offline verifiers learn of it from the feed: no token issued before it is good again.
        if (dto.status === 'suspended') await this.revocations.notBefore(m, tenantId, null, 'tenant_suspended');
        changed.push('status');
      }
      tenant.updatedAt = this.clock.now();
      const saved = await m.getRepository(Tenant).save(tenant);
      const action = changed.includes('status') ? (saved.status === 'suspended' ? 'tenant.suspended' : 'tenant.reactivated') : 'tenant.updated';
      await this.audit.recordAdmin(actor, { action, tenantId, target: tenantId, details: { changed } }, m);
      return toTenantResponse(saved);
    });
    this.cache.forgetTenant(tenantId);
    return updated;
  }

  /**
   * Revokes every session of the tenant and the access tokens issued from them (by jti), then
   * deletes the tenant; its users, clients and API keys go with it in the same transaction.
   */
  async delete(actor: Actor, tenantId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const tenant = await m.getRepository(Tenant).findOne({ where: { id: tenantId }, lock: { mode: 'pessimistic_write' } });
      if (!tenant) throw new NotFoundError('No such tenant.');
      if (tenant.slug === SYSTEM_TENANT_SLUG) throw new ConflictError('The system tenant cannot be deleted.');
      const sessions = await this.sessions.revokeFamilies({ tenantId }, 'tenant_deleted', m);
      await this.revocations.notBefore(m, tenantId, null, 'tenant_deleted');
      await m.getRepository(Tenant).delete({ id: tenantId });
      await this.audit.recordAdmin(actor, { action: 'tenant.deleted', tenantId, target: tenantId, details: { slug: tenant.slug, revokedSessions: sessions } }, m);
    });
    this.cache.forgetTenant(tenantId);
  }
}

/** admin:tenant and admin:platform are built in (contract 1), never part of what a tenant offers. */
function checkOfferedScopes(scopes: readonly string[]): void {
  const builtIn = scopes.filter((s) => s === ADMIN_TENANT_SCOPE || s === ADMIN_PLATFORM_SCOPE);
  if (builtIn.length) throw new InvalidInputError(`${builtIn.join(', ')} is built in and cannot be offered`, 'scopes');
}
