import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { HotQueries, type HotStatement } from '../database/hot-queries';
import { Tenant, type TenantSettings } from './tenant.entity';

export interface NewTenant {
  slug: string;
  name: string;
  scopes: readonly string[];
  settings: TenantSettings;
}

// Every token request reads its tenant: a plain query, not a repository call (HotQueries).
const FIND_BY_ID: HotStatement = {
  name: 'tenant_by_id',
  text: `SELECT id, slug, name, status, scopes, settings, created_at AS "createdAt", updated_at AS "updatedAt",
                suspended_at AS "suspendedAt"
         FROM tenants WHERE id = $1`,
};

@Injectable()
export class TenantsService {
  constructor(
    @InjectRepository(Tenant) private readonly tenants: Repository<Tenant>,
    private readonly hot: HotQueries,
  ) {}

  findBySlug(slug: string, manager?: EntityManager): Promise<Tenant | null> {
    return (manager ? manager.getRepository(Tenant) : this.tenants).findOneBy({ slug });
  }

  async findById(id: string): Promise<Tenant | null> {
    const [tenant] = await this.hot.rows<Tenant>(FIND_BY_ID, [id]);
    return tenant ?? null;
  }

  async insert(input: NewTenant, manager?: EntityManager): Promise<Tenant> {
    const repo = manager ? manager.getRepository(Tenant) : this.tenants;
    return repo.save(repo.create({ ...input, scopes: [...input.scopes], status: 'active' }));
  }
}
