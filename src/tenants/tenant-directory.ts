import { Injectable, Module } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { NotFoundError } from '../common/domain-errors';
import { Tenant } from './tenant.entity';

/**
 * Read-only tenant lookups for the modules a tenant owns (users, clients, API keys). It
 * depends on nothing, so they can use it while TenantsModule depends on them.
 */
@Injectable()
export class TenantDirectory {
  constructor(@InjectRepository(Tenant) private readonly tenants: Repository<Tenant>) {}

  findById(id: string, manager?: EntityManager): Promise<Tenant | null> {
    return (manager ? manager.getRepository(Tenant) : this.tenants).findOneBy({ id });
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
