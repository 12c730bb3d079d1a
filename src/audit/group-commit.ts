import { StatementBatch } from '../database/statement-batch';

/**
 * Group commit of audit events written outside a transaction (issue 12): the events of
 * concurrent requests go to the database as one multi-row INSERT, one statement and one commit,
 * each request answered only after the statement that holds its event has committed
 * (StatementBatch: no timer, batches grow with the load, a failed batch written again event by
 * event so one bad event fails only its own request).
 */
export class GroupCommit {
  private readonly batch: StatementBatch<readonly unknown[], never>;

  constructor(
    private readonly table: string,
    private readonly columns: readonly string[],
    private readonly query: (sql: string, params: unknown[]) => Promise<unknown>,
    maxBatch = 200,
  ) {
    this.batch = new StatementBatch(
      async (rows) => {
        await this.insert(rows);
        return new Map<number, never>();
      },
      { maxBatch },
    );
  }

  /** Resolves once `values` (one per column) are committed; rejects with this event's own error. */
  async write(values: readonly unknown[]): Promise<void> {
    await this.batch.submit(values);
  }

  private insert(rows: readonly (readonly unknown[])[]): Promise<unknown> {
    const n = this.columns.length;
    const tuples = rows.map((_, r) => `(${this.columns.map((_, c) => `$${r * n + c + 1}`).join(', ')})`);
    return this.query(`INSERT INTO ${this.table} (${this.columns.join(', ')}) VALUES ${tuples.join(', ')}`, rows.flat());
  }
}
