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
  /** Defaults to a new UUID; the bootstrap names its client `admin-cli`. */
  clientId?: string;
}

@Injectable()
export class ClientsService {
  constructor(@InjectRepository(Client) private readonly clients: Repository<Client>) {}

  findByClientId(clientId: string): Promise<Client | null> {
    return this.clients.findOneBy({ clientId });
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
      }),
    );
    return { client, secret };
  }
}
