import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { checkChangeable, grantableScopes, type Actor } from '../auth/admin-policy';
import { ADMIN_CLI_CLIENT_ID } from '../auth/scopes';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { ConflictError, NotFoundError } from '../common/domain-errors';
import { keysetPage, type Page, type PageQuery } from '../common/pagination';
import { RevocationsService } from '../revocations/revocations.service';
import { RefreshTokensService } from '../sessions/refresh-tokens.service';
import { TenantDirectory } from '../tenants/tenant-directory';
import { Client } from './client.entity';
import { hashSecret, newSecret } from './client-secret';
import { ClientsService } from './clients.service';
import { checkAllowedIps, checkGrantTypes } from './credential-rules';
import type { CreateClientDto } from './dto/create-client.dto';
import { toClientResponse, toClientWithSecret, type ClientResponse, type ClientWithSecretResponse } from './dto/client.response';
import type { UpdateClientDto } from './dto/update-client.dto';

/**
 * OAuth clients as tenant and platform admins manage them (contract 5). The path's id is the
 * row's UUID; every lookup is by (tenant, id), so another tenant's client is 404.
 *
 * After each change this instance forgets the client at once (ClientsService.forget); other
 * instances keep their cached copy for up to CLIENT_CACHE_MS (5 s), so a rotated secret, a
 * narrowed grant or a deleted client may still be honoured there for that long.
 */
@Injectable()
export class ClientAdminService {
  constructor(
    @InjectRepository(Client) private readonly repo: Repository<Client>,
    private readonly clients: ClientsService,
    private readonly dataSource: DataSource,
    private readonly directory: TenantDirectory,
    private readonly sessions: RefreshTokensService,
    private readonly revocations: RevocationsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async list(tenantId: string, page: PageQuery): Promise<Page<ClientResponse>> {
    await this.directory.require(tenantId);
    const qb = this.repo.createQueryBuilder('c').where('c.tenant_id = :tenantId', { tenantId });
    const { items, nextCursor } = await keysetPage(qb, page, { column: 'created_at', order: 'ASC' });
    return { items: items.map(toClientResponse), nextCursor };
  }

  async get(tenantId: string, id: string): Promise<ClientResponse> {
    return toClientResponse(await this.require(tenantId, id));
  }

  /** A confidential client's secret is in this response and nowhere else, ever. */
  async create(actor: Actor, tenantId: string, dto: CreateClientDto): Promise<ClientWithSecretResponse> {
    const tenant = await this.directory.require(tenantId);
    checkGrantTypes(dto.type, dto.grantTypes);
    checkAllowedIps(dto.type, dto.allowedIps);
    const scopes = grantableScopes(actor, tenant, dto.scopes);
    return this.dataSource.transaction(async (m) => {
      const { client, secret } = await this.clients.create(
        { tenantId, name: dto.name, type: dto.type, grantTypes: dto.grantTypes, scopes, audience: dto.audience ?? null, allowedIps: dto.allowedIps ?? null },
        m,
      );
      const details = { clientId: client.clientId, type: client.type, grantTypes: client.grantTypes, scopes: client.scopes, allowedIps: client.allowedIps };
      await this.audit.recordAdmin(actor, { action: 'client.created', tenantId, target: client.id, details }, m);
      return toClientWithSecret(client, secret);
    });
  }

  /**
   * Name, grant types, scopes, audience and allowedIps. Narrowed grants and scopes apply to
   * live sessions from their next refresh (the refresh grant intersects with the client as it
   * is then); so does allowedIps, checked whenever the client authenticates.
   */
  async update(actor: Actor, tenantId: string, id: string, dto: UpdateClientDto): Promise<ClientResponse> {
    const tenant = await this.directory.require(tenantId);
    const saved = await this.dataSource.transaction(async (m) => {
      const client = await this.require(tenantId, id, m);
      checkChangeable(actor, client);
      const changed: string[] = [];
      if (dto.name !== undefined) {
        client.name = dto.name;
        changed.push('name');
      }
      if (dto.grantTypes !== undefined) {
        checkGrantTypes(client.type, dto.grantTypes);
        client.grantTypes = dto.grantTypes;
        changed.push('grantTypes');
      }
      if (dto.scopes !== undefined) {
        client.scopes = grantableScopes(actor, tenant, dto.scopes);
        changed.push('scopes');
      }
      if (dto.audience !== undefined) {
        client.audience = dto.audience;
        changed.push('audience');
      }
      if (dto.allowedIps !== undefined) {
        checkAllowedIps(client.type, dto.allowedIps);
        client.allowedIps = dto.allowedIps;
        changed.push('allowedIps');
      }
      client.updatedAt = this.clock.now();
      const result = await m.getRepository(Client).save(client);
      const details = { clientId: client.clientId, changed, ...(dto.allowedIps !== undefined ? { allowedIps: client.allowedIps } : {}) };
      await this.audit.recordAdmin(actor, { action: 'client.updated', tenantId, target: id, details }, m);
      return result;
    });
    this.clients.forget(saved.clientId);
    return toClientResponse(saved);
  }

  /**
   * Revokes the client's sessions and the access tokens issued from them (by jti), and those it
   * got by client_credentials (a not-before entry for its client_id), then deletes it.
   */
  async delete(actor: Actor, tenantId: string, id: string): Promise<void> {
    const clientId = await this.dataSource.transaction(async (m) => {
      const client = await this.require(tenantId, id, m);
      // client_id is unique across tenants, so this is the system tenant's bootstrap client.
      if (client.clientId === ADMIN_CLI_CLIENT_ID) throw new ConflictError(`The bootstrap client ${ADMIN_CLI_CLIENT_ID} cannot be deleted.`);
      checkChangeable(actor, client);
      const revokedSessions = await this.sessions.revokeFamilies({ tenantId, clientPk: client.id }, 'client_deleted', m);
      await this.revocations.notBefore(m, tenantId, client.clientId, 'client_deleted');
      await m.getRepository(Client).delete({ tenantId, id: client.id });
      await this.audit.recordAdmin(actor, { action: 'client.deleted', tenantId, target: id, details: { clientId: client.clientId, revokedSessions } }, m);
      return client.clientId;
    });
    this.clients.forget(clientId);
  }

  /**
   * A new secret for a confidential client; the old one stops working at once (on this
   * instance; see the class comment). Sessions stay: the client proves itself anew on each refresh.
   */
  async rotateSecret(actor: Actor, tenantId: string, id: string): Promise<ClientWithSecretResponse> {
    const secret = newSecret();
    const saved = await this.dataSource.transaction(async (m) => {
      const client = await this.require(tenantId, id, m);
      if (client.type !== 'confidential') throw new ConflictError('A public client has no secret to rotate.');
      checkChangeable(actor, client);
      const now = this.clock.now();
      client.secretHash = hashSecret(secret);
      client.secretRotatedAt = now;
      client.updatedAt = now;
      const result = await m.getRepository(Client).save(client);
      await this.audit.recordAdmin(actor, { action: 'client.secret_rotated', tenantId, target: id, details: { clientId: client.clientId } }, m);
      return result;
    });
    this.clients.forget(saved.clientId);
    return toClientWithSecret(saved, secret);
  }

  /** The client, locked for the rest of the transaction when `m` is given; 404 when absent. */
  private async require(tenantId: string, id: string, m?: EntityManager): Promise<Client> {
    const client = m
      ? await m.getRepository(Client).findOne({ where: { tenantId, id }, lock: { mode: 'pessimistic_write' } })
      : await this.repo.findOneBy({ tenantId, id });
    if (!client) throw new NotFoundError('No such client.');
    return client;
  }
}
