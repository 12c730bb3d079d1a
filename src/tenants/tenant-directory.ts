import { Injectable, Module } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { NotFoundError } from '../common/domain-errors';
import { HotQueries, type HotStatement } from '../database/hot-queries';
import { Tenant } from './tenant.entity';

// Every token request reads its tenant: a plain query, not a repository call (HotQueries).
const FIND_BY_ID: HotStatement = {
  name: 'tenant_by_id',
  text: `SELECT id, slug, name, status, scopes, settings, created_at AS "createdAt", updated_at AS "updatedAt",
                suspended_at AS "suspendedAt"
         FROM tenants WHERE id = $1`,
};

/**
 * Read-only tenant lookups for the modules a tenant owns (users, clients, API keys). It
 * depends on nothing, so they can use it while TenantsModule depends on them.
 */
@Injectable()
export class TenantDirectory {
  constructor(
    @InjectRepository(Tenant) private readonly tenants: Repository<Tenant>,
    private readonly hot: HotQueries,
  ) {}

  async findById(id: string, manager?: EntityManager): Promise<Tenant | null> {
    if (manager) return manager.getRepository(Tenant).findOneBy({ id });
    const [tenant] = await this.hot.rows<Tenant>(FIND_BY_ID, [id]);
    return tenant ?? null;
  }

  /** The tenant an admin route names; 404 when it does not exist. */
  async require(id: string, manager?: EntityManager): Promise<Tenant> {
    const tenant = await this.findById(id, manager);
    if (!tenant) throw new NotFoundError('No such tenant.');
    return tenant;
  }
}

@Module({
  imports: [TypeOrmModule.forFeature([Tenant])],
  providers: [TenantDirectory],
  exports: [TenantDirectory],
})
export class TenantDirectoryModule {}
