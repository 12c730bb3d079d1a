import type { PGlite } from '@electric-sql/pglite';

interface Job {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: Error) => void;
}

// Frontend message types after which the backend answers ReadyForQuery.
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

/**
 * The message queue PGLiteSocketHandler feeds into. PGlite is one backend, so connections
 * take turns; a connection keeps its turn from its first message until it has reached a
 * ReadyForQuery boundary (Sync or simple Query) outside a transaction.
 *
 * pglite-socket's own multiplexer only pins a connection while a transaction is open, so
 * two connections' extended-protocol messages (Parse/Bind/Execute/Sync) can interleave
 * and bind each other's unnamed statements. Holding the turn until Sync prevents that.
 */
export class SessionQueue {
  private readonly waiting: Job[] = [];
  private owner: number | null = null;
  private pumping = false;
  private closed = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    if (this.closed) return Promise.reject(new Error('embedded database is shutting down'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  clearQueueForHandler(handlerId: number): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i].handlerId === handlerId) {
        this.waiting.splice(i, 1)[0].reject(new Error('connection closed'));
      }
    }
  }

  /** A connection that dropped mid-transaction must not leave the backend inside it. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (!this.closed && this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    void this.pump();
  }

  /** Refuses new work and waits for the message in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new Error('embedded database is shutting down'));
    while (this.pumping) await new Promise((r) => setTimeout(r, 5));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed) {
        const index = this.owner === null ? 0 : this.waiting.findIndex((j) => j.handlerId === this.owner);
        if (index < 0 || index >= this.waiting.length) break;
        const job = this.waiting.splice(index, 1)[0];
        this.owner = job.handlerId;
        await this.run(job);
        if (this.isBoundary(job.message) && !this.db.isInTransaction()) this.owner = null;
      }
    } finally {
      this.pumping = false;
    }
  }

  private async run(job: Job): Promise<void> {
    let bytes = 0;
    try {
      await this.db.execProtocolRawStream(job.message, {
        onRawData: (data) => {
          bytes += data.length;
          job.onData(data);
        },
      });
      job.resolve(bytes);
    } catch (err) {
      job.reject(err as Error);
    }
  }

  private isBoundary(message: Uint8Array): boolean {
    const type = message[0];
    // A startup packet begins with its length (first byte 0), not a type letter.
    return type === 0 || type === SYNC || type === QUERY || type === TERMINATE;
  }
}
