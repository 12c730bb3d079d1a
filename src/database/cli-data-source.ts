import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig, readEnvironment } from '../config/config';
import { dataSourceOptions } from './data-source-options';
import { resolveDatabaseTarget } from './database.providers';

/**
 * For the TypeORM CLI (`npm run migration:generate -- migrations/Name`): the same connection
 * the app uses, embedded or server. Generate against a database whose migrations are all
 * applied, then add the new class to migrations/index.ts.
 */
export const dataSource: Promise<DataSource> = (async () => {
  const config = loadConfig(readEnvironment());
  const target = await resolveDatabaseTarget(config);
  return new DataSource(dataSourceOptions(target.endpoint, 1));
})();
