import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { dataSourceOptions } from './data-source-options';
import { DATABASE_TARGET, resolveDatabaseTarget, type DatabaseTarget } from './database.providers';
import { HotQueries } from './hot-queries';
import { runMigrations } from './migrate';

export { DATABASE_TARGET };

@Module({
  providers: [{ provide: DATABASE_TARGET, inject: [APP_CONFIG], useFactory: resolveDatabaseTarget }],
  exports: [DATABASE_TARGET],
})
class DatabaseTargetModule {}

/** Closes the pool before the embedded database it talks to, whatever order Nest runs hooks in. */
@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(DATABASE_TARGET) private readonly target: DatabaseTarget,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.target.release();
  }
}

@Global()
@Module({
  imports: [
    DatabaseTargetModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseTargetModule],
      inject: [APP_CONFIG, DATABASE_TARGET],
      useFactory: (config: AppConfig, target: DatabaseTarget) =>
        dataSourceOptions(target.endpoint, config.databasePoolSize),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        try {
          await runMigrations(dataSource);
        } catch (err) {
          await dataSource.destroy();
          throw err;
        }
        return dataSource;
      },
    }),
  ],
  providers: [DatabaseLifecycle, HotQueries],
  exports: [DatabaseTargetModule, HotQueries],
})
export class DatabaseModule {}
