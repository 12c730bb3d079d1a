import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { Client, type ClientType } from './client.entity';

export interface NewPublicClient {
  tenantId: string;
  clientId: string;
  name: string;
  grantTypes: string[];
  scopes: string[];
}

@Injectable()
export class ClientsService {
  constructor(@InjectRepository(Client) private readonly clients: Repository<Client>) {}

  findByClientId(clientId: string): Promise<Client | null> {
    return this.clients.findOneBy({ clientId });
  }

  async insertPublic(input: NewPublicClient, manager?: EntityManager): Promise<Client> {
    const repo = manager ? manager.getRepository(Client) : this.clients;
    const type: ClientType = 'public';
    return repo.save(repo.create({ ...input, type, secretHash: null, audience: null }));
  }
}
