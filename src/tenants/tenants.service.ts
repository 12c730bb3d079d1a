import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { Tenant, type TenantSettings } from './tenant.entity';

export interface NewTenant {
  slug: string;
  name: string;
  scopes: readonly string[];
  settings: TenantSettings;
}

@Injectable()
export class TenantsService {
  constructor(@InjectRepository(Tenant) private readonly tenants: Repository<Tenant>) {}

  findBySlug(slug: string, manager?: EntityManager): Promise<Tenant | null> {
    return (manager ? manager.getRepository(Tenant) : this.tenants).findOneBy({ slug });
  }

  findById(id: string): Promise<Tenant | null> {
    return this.tenants.findOneBy({ id });
  }

  async insert(input: NewTenant, manager?: EntityManager): Promise<Tenant> {
    const repo = manager ? manager.getRepository(Tenant) : this.tenants;
    return repo.save(repo.create({ ...input, scopes: [...input.scopes], status: 'active' }));
  }
}
