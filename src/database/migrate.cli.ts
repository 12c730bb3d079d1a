import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig, readEnvironment } from '../config/config';
import { dataSourceOptions } from './data-source-options';
import { resolveDatabaseTarget } from './database.providers';
import { runMigrations } from './migrate';

/** `npm run migration:run`: applies pending migrations to DATABASE_URL or the embedded database. */
async function main(): Promise<void> {
  const config = loadConfig(readEnvironment());
  const target = await resolveDatabaseTarget(config);
  const dataSource = await new DataSource(dataSourceOptions(target.endpoint, 1)).initialize();
  try {
    const applied = await runMigrations(dataSource);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'no pending migrations\n');
  } finally {
    await dataSource.destroy();
    await target.release();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
