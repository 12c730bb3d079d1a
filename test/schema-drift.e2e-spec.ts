import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { resolveDatabaseTarget, type DatabaseTarget } from '../src/database/database.providers';
import { runMigrations } from '../src/database/migrate';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { testConfig } from './support/test-app';

// The migrations are the schema; the entities must describe it exactly, or
// `migration:generate` buries a real change under noise and TypeORM's metadata (relations,
// defaults on insert) quietly disagrees with the database.
describe('schema drift', () => {
  let db: TestDatabase;
  let target: DatabaseTarget;
  let dataSource: DataSource;

  beforeEach(async () => {
    db = await createTestDatabase();
    target = await resolveDatabaseTarget(testConfig(db));
    dataSource = await new DataSource(dataSourceOptions(target.endpoint, 1)).initialize();
  });

  afterEach(async () => {
    await dataSource.destroy();
    await target.release();
    await db.drop();
  });

  it('finds nothing between the migrated database and the entities', async () => {
    await runMigrations(dataSource);
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    const drift = upQueries.map((q) => q.query);
    // Printed so whoever breaks this sees what TypeORM would change, and in which direction.
    expect({ drift: drift.join(';\n') }).toEqual({ drift: '' });
  });
});
