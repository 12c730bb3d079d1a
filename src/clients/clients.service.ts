import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { EntityManager, Repository } from 'typeorm';
import { Client, type ClientType } from './client.entity';
import { hashSecret, newSecret } from './client-secret';

export interface NewClient {
  tenantId: string;
  name: string;
  type: ClientType;
  grantTypes: string[];
  scopes: string[];
  audience?: string | null;
  /** CIDRs a confidential client may authenticate from; null or absent: any address. */
  allowedIps?: string[] | null;
  /** Defaults to a new UUID; the bootstrap names its client `admin-cli`. */
  clientId?: string;
}

/** How long a looked-up client is reused: the staleness after a client is changed or deleted. */
export const CLIENT_CACHE_MS = 5000;
const CLIENT_CACHE_MAX = 10_000;

@Injectable()
export class ClientsService {
  /**
   * Every token request looks its client up; clients change rarely. Known clients are kept for
   * CLIENT_CACHE_MS (unknown ones are not, so guessed ids cannot fill the cache).
   */
  private readonly cache = new Map<string, { client: Client; until: number }>();

  constructor(@InjectRepository(Client) private readonly clients: Repository<Client>) {}

  async findByClientId(clientId: string): Promise<Client | null> {
    const now = Date.now();
    const hit = this.cache.get(clientId);
    if (hit && hit.until > now) return hit.client;
    const client = await this.clients.findOneBy({ clientId });
    if (client) {
      if (this.cache.size >= CLIENT_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(clientId, { client, until: now + CLIENT_CACHE_MS });
    } else {
      this.cache.delete(clientId);
    }
    return client;
  }

  /**
   * The client a console login of the tenant goes through: its oldest public client that may
   * use the password and refresh_token grants (the default client made with the tenant).
   */
  async findLoginClient(tenantId: string): Promise<Client | null> {
    const found = await this.clients
      .createQueryBuilder('c')
      .where('c.tenant_id = :tenantId', { tenantId })
      .andWhere("c.type = 'public'")
      .andWhere(":password = ANY(c.grant_types) AND :refresh = ANY(c.grant_types)", { password: 'password', refresh: 'refresh_token' })
      .orderBy('c.created_at', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .getOne();
    return found ?? null;
  }

  /** Drops a client from this instance's cache at once (after a change made here). */
  forget(clientId: string): void {
    this.cache.delete(clientId);
  }

  /** Creates a client; a confidential one gets a secret, returned here once and stored hashed. */
  async create(input: NewClient, manager?: EntityManager): Promise<{ client: Client; secret: string | null }> {
    const repo = manager ? manager.getRepository(Client) : this.clients;
    const secret = input.type === 'confidential' ? newSecret() : null;
    const client = await repo.save(
      repo.create({
        tenantId: input.tenantId,
        clientId: input.clientId ?? randomUUID(),
        name: input.name,
        type: input.type,
        secretHash: secret ? hashSecret(secret) : null,
        grantTypes: input.grantTypes,
        scopes: input.scopes,
        audience: input.audience ?? null,
        allowedIps: input.allowedIps ?? null,
      }),
    );
    return { client, secret };
  }
}
