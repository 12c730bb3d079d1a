import type { Command } from '../command';

/**
 * Only the schema, so no application context: DatabaseModule would already apply pending
 * migrations while starting (as the service does), leaving this command nothing to report.
 */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations and print them',
  options: {},
  notes: [
    'The service and every other command also apply pending migrations when they start; this',
    'runs them on their own, e.g. before rolling out a new version to several instances.',
  ],
  async run(_values, env) {
    const { DataSource } = await import('typeorm');
    const { dataSourceOptions } = await import('../../database/data-source-options');
    const { resolveDatabaseTarget } = await import('../../database/database.providers');
    const { runMigrations } = await import('../../database/migrate');
    const target = await resolveDatabaseTarget(env.config());
    try {
      const dataSource = await new DataSource(dataSourceOptions(target.endpoint, 1)).initialize();
      try {
        const applied = await runMigrations(dataSource);
        const text = applied.length ? [`applied ${applied.length} migration(s):`, ...applied.map((m) => `  ${m}`)].join('\n') : 'no pending migrations';
        env.print(text, { applied });
      } finally {
        await dataSource.destroy();
      }
    } finally {
      await target.release();
    }
  },
};
