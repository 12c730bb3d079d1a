import type { DataSource } from 'typeorm';
import { runMigrations } from '../src/database/migrate';
import { openTestDataSource } from './support/test-database';

// The migrations are the schema; the entities must describe it exactly, or
// `migration:generate` buries a real change under noise and TypeORM's metadata (relations,
// defaults on insert) quietly disagrees with the database.
describe('schema drift', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeEach(async () => {
    ({ dataSource, close } = await openTestDataSource(1));
  });

  afterEach(async () => {
    await close();
  });

  it('finds nothing between the migrated database and the entities', async () => {
    await runMigrations(dataSource);
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    const drift = upQueries.map((q) => q.query);
    // Printed so whoever breaks this sees what TypeORM would change, and in which direction.
    expect({ drift: drift.join(';\n') }).toEqual({ drift: '' });
  });
});
