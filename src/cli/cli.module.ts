import { DynamicModule, Inject, Injectable, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CommonModule } from '../common/common.module';
import type { AppConfig } from '../config/config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule, DATABASE_TARGET } from '../database/database.module';
import type { DatabaseTarget } from '../database/database.providers';
import { MetricsModule } from '../metrics/metrics.module';
import type { FeatureModule } from './command';

/**
 * What to close if the context fails after the database opened (in a bootstrap hook, say):
 * Nest hands back no context to close then, and the embedded database should still shut down
 * cleanly and let go of DATA_DIR.
 */
export interface OpenedDatabase {
  close?: () => Promise<void>;
}

export const OPENED_DATABASE = Symbol('OPENED_DATABASE');

@Injectable()
class DatabaseCloser {
  constructor(
    dataSource: DataSource,
    @Inject(DATABASE_TARGET) target: DatabaseTarget,
    @Inject(OPENED_DATABASE) opened: OpenedDatabase,
  ) {
    opened.close = async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await target.release();
    };
  }
}

/**
 * The operator CLI's application context: the app's global modules (configuration, clock,
 * database with migrations at start, metrics, which services count into) and the feature
 * modules a command needs. No HTTP server, so nothing to serve /metrics from or count requests
 * of: metrics are off in here.
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, features: readonly FeatureModule[], opened: OpenedDatabase): DynamicModule {
    const cliConfig: AppConfig = Object.freeze({ ...config, metricsEnabled: false });
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(cliConfig), CommonModule.forRoot(), DatabaseModule, MetricsModule, ...features],
      providers: [{ provide: OPENED_DATABASE, useValue: opened }, DatabaseCloser],
    };
  }
}
