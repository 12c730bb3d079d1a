import { DataSource, MigrationExecutor } from 'typeorm';

/** Key of the advisory lock that serialises migrations and first-start bootstrap. */
export const SCHEMA_LOCK_KEY = 7_340_221_001;

/**
 * Applies pending migrations inside one transaction that first takes a transaction-scoped
 * advisory lock, so instances starting together run them once: the second waits, then
 * finds nothing pending. On the embedded database the open transaction already gives the
 * connection sole use of the backend.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.startTransaction();
    await runner.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'none';
    const applied = await executor.executePendingMigrations();
    await runner.commitTransaction();
    return applied.map((m) => m.name);
  } catch (err) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw err;
  } finally {
    await runner.release();
  }
}
