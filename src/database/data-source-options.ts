import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

export interface PostgresEndpoint {
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
}

/** One definition of the connection for the app, the migration CLI and the tests. */
export function dataSourceOptions(endpoint: PostgresEndpoint, poolSize: number): DataSourceOptions {
  const where = endpoint.url
    ? { url: endpoint.url }
    : { host: endpoint.host, port: endpoint.port, username: 'postgres', database: 'postgres' };
  return {
    type: 'postgres',
    ...where,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    // gen_random_uuid() is built into Postgres 13+; no extension is installed behind the
    // migrations' back, and generated migrations use the same default as the hand-written ones.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    // Schema changes only through migrations/ (run by runMigrations at start-up).
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5000,
      // A statement that runs this long is a bug or an outage; fail it rather than hang a request.
      statement_timeout: 15000,
      application_name: 'tessera',
    },
  };
}
