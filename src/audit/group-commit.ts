interface Pending {
  readonly values: readonly unknown[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit of audit events written outside a transaction (issue 12): the events of
 * concurrent requests go to the database as one multi-row INSERT, one statement and one commit,
 * and each request is answered only after the statement that holds its event has committed.
 * Nothing waits on a timer: a batch is written on the next turn of the event loop, and whatever
 * arrives while it is in flight forms the next one, so batches grow with the load and a lone
 * event costs what it did before. A batch that fails is written again event by event, so one bad
 * event fails only its own request.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private writing = false;

  constructor(
    private readonly table: string,
    private readonly columns: readonly string[],
    private readonly query: (sql: string, params: unknown[]) => Promise<unknown>,
    private readonly maxBatch = 200,
  ) {}

  /** Resolves once `values` (one per column) are committed; rejects with this event's own error. */
  write(values: readonly unknown[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ values, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.insert(batch);
        for (const p of batch) p.resolve();
      } catch (err) {
        if (batch.length === 1) batch[0].reject(err);
        else await Promise.all(batch.map((p) => this.insert([p]).then(p.resolve, p.reject)));
      }
    }
    this.writing = false;
  }

  private insert(batch: readonly Pending[]): Promise<unknown> {
    const n = this.columns.length;
    const rows = batch.map((_, r) => `(${this.columns.map((_, c) => `$${r * n + c + 1}`).join(', ')})`);
    const params = batch.flatMap((p) => p.values);
    return this.query(`INSERT INTO ${this.table} (${this.columns.join(', ')}) VALUES ${rows.join(', ')}`, params);
  }
}
