import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { DATABASE_TARGET, type DatabaseTarget } from './database.providers';

/** A statement run on every token request: its name is unique to its text. */
export interface HotStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * The token endpoint's per-request statements, sent straight to the pg pool under the
 * DataSource: a raw pg query costs about 0.1 ms of CPU, a repository call 0.25–0.5 ms.
 *
 * On a PostgreSQL server a statement is prepared under its name once per connection and its
 * plan reused, instead of being planned again on every call (about 1 ms for the refresh
 * rotation). The embedded database is one PGlite session shared by every pool connection,
 * where a name prepared through one connection clashes with the same name from another, so
 * there the same text is sent unnamed. That holds for a PGlite reached through DATABASE_URL
 * too (the tests put a proxy in front of the embedded database that way): its version says so.
 */
@Injectable()
export class HotQueries implements OnModuleInit {
  private readonly pool: Pool;
  /** Unnamed until the server is known to give each connection its own session. */
  private named = false;

  constructor(
    dataSource: DataSource,
    @Inject(DATABASE_TARGET) private readonly target: DatabaseTarget,
  ) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  async onModuleInit(): Promise<void> {
    if (this.target.embedded) return;
    const { rows } = await this.pool.query<{ pglite: boolean }>(`SELECT version() LIKE '%PGlite%' AS pglite`);
    this.named = !rows[0].pglite;
  }

  async rows<T>(statement: HotStatement, values: unknown[]): Promise<T[]> {
    const { name, text } = statement;
    const result = await this.pool.query(this.named ? { name, text, values } : { text, values });
    return result.rows as T[];
  }
}
