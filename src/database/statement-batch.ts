import { isDatabaseUnavailable } from '../common/database-errors';

/**
 * A batch held back, at most maxMs, for writes known to be on their way, so that they share its
 * statement. expected(queued), given how many are waiting, says whether to wait for more: it is
 * asked before a batch is sent and again after each release().
 */
export interface BatchHold {
  readonly expected: (queued: number) => boolean;
  readonly maxMs: number;
}

interface Pending<I, R> {
  readonly input: I;
  readonly resolve: (row: R | undefined) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit (issue 12): the writes of concurrent requests go to the database as one
 * statement, one round trip and one commit, and each request gets its own result (or none) only
 * after that statement has committed. Without a hold nothing waits on a timer: a batch is sent on
 * the next turn of the event loop, and whatever arrives while it is in flight forms the next one,
 * so batches grow with the load and a lone write costs what it did before. Used for audit events
 * written outside a transaction (GroupCommit), for refresh rotations and for logins' new families
 * (RefreshTokensService). A hold (BatchHold) lets a batch wait a bounded moment for writes its
 * owner knows are coming: logins' writes, which arrive one password verification apart.
 *
 * Inputs with the same key (keyOf) never share a statement: a later one goes to a later batch,
 * so a second presentation of a refresh token waits on the first one's row lock and sees the
 * token used, as it would have alone.
 *
 * A statement that fails is atomic, nothing of it committed, so each of its inputs is tried again
 * alone and one bad input fails only its own request. Not so when the connection broke: the
 * statement may have committed with its answer lost, and a retry would write it twice (or find
 * the refresh tokens used and take the clients for thieves). Those all fail with the error, as a
 * lone write would, and the caller's own recovery (UnconfirmedRotations for rotations) takes over.
 */
export class StatementBatch<I, R> {
  private queue: Pending<I, R>[] = [];
  private sending = false;
  /** Ends the current hold, if a batch is being held. */
  private endHold: (() => void) | null = null;

  private readonly keyOf: ((input: I) => string) | null;
  private readonly maxBatch: number;
  private readonly hold: BatchHold | null;

  constructor(
    /** Runs one statement for the batch; returns each input's result by its index in the batch. */
    private readonly run: (batch: readonly I[]) => Promise<Map<number, R>>,
    options: { keyOf?: (input: I) => string; maxBatch?: number; hold?: BatchHold } = {},
  ) {
    this.keyOf = options.keyOf ?? null;
    this.maxBatch = options.maxBatch ?? 64;
    this.hold = options.hold ?? null;
  }

  /**
   * Something the hold waited for has happened (a write is coming in this turn, or will not
   * come): on the next turn, with that write queued, the hold asks expected() again and sends the
   * batch unless it says to wait for more.
   */
  release(): void {
    this.endHold?.();
  }

  submit(input: I): Promise<R | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.sending) {
        this.sending = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      if (this.hold?.expected(this.queue.length)) await this.held(this.hold);
      const batch = this.take();
      try {
        const rows = await this.run(batch.map((p) => p.input));
        batch.forEach((p, i) => p.resolve(rows.get(i)));
      } catch (err) {
        if (batch.length === 1 || isDatabaseUnavailable(err)) for (const p of batch) p.reject(err);
        else await Promise.all(batch.map((p) => this.run([p.input]).then((rows) => p.resolve(rows.get(0)), p.reject)));
      }
    }
    this.sending = false;
  }

  private held(hold: BatchHold): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.endHold = null;
        resolve();
      };
      const timer = setTimeout(finish, hold.maxMs);
      // Judged on the next turn, once the write that the release announced has been submitted.
      this.endHold = () => setImmediate(() => !hold.expected(this.queue.length) && finish());
    });
  }

  /** Up to maxBatch waiting inputs in arrival order, each key once; the rest stay queued. */
  private take(): Pending<I, R>[] {
    if (!this.keyOf) return this.queue.splice(0, this.maxBatch);
    const batch: Pending<I, R>[] = [];
    const keys = new Set<string>();
    const rest: Pending<I, R>[] = [];
    for (const p of this.queue) {
      const key = this.keyOf(p.input);
      if (batch.length < this.maxBatch && !keys.has(key)) {
        keys.add(key);
        batch.push(p);
      } else {
        rest.push(p);
      }
    }
    this.queue = rest;
    return batch;
  }
}
