import type { AppConfig } from '../config/config';
import { acquireEmbeddedPostgres } from './embedded-postgres';
import type { PostgresEndpoint } from './data-source-options';

/** Injection token of the DatabaseTarget in use (DatabaseModule provides it). */
export const DATABASE_TARGET = Symbol('DATABASE_TARGET');

export interface DatabaseTarget {
  readonly endpoint: PostgresEndpoint;
  readonly embedded: boolean;
  /** Lets go of the embedded database (closing it with its last user); a no-op for a server. */
  readonly release: () => Promise<void>;
}

/** DATABASE_URL when set, else the embedded PGlite kept in DATA_DIR. */
export async function resolveDatabaseTarget(config: AppConfig): Promise<DatabaseTarget> {
  if (config.databaseUrl) {
    return { endpoint: { url: config.databaseUrl }, embedded: false, release: async () => undefined };
  }
  const { endpoint, release } = await acquireEmbeddedPostgres(config.dataDir);
  return { endpoint, embedded: true, release };
}
