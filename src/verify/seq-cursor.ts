/**
 * Where a poller of revocation_seq stands. Sequence values are handed out when a row is
 * inserted but become visible when its transaction commits, so rows can appear out of order:
 * a poll that saw 7 may later find 6. A value skipped over is a gap, asked for again on every
 * poll until its row turns up or the gap is older than any writing transaction can be (then
 * it was rolled back, or consumed by an ON CONFLICT that inserted nothing).
 */
export class SeqCursor {
  private highest = 0;
  private readonly gaps = new Map<number, number>();

  constructor(
    private readonly gapTimeoutMs: number,
    /** A jump over more values than this is not tracked value by value. */
    private readonly maxTrackedJump = 10_000,
  ) {}

  /** The highest value seen: the next poll asks for everything above it. */
  get high(): number {
    return this.highest;
  }

  /** Values skipped over that may still appear, dropping those older than the timeout. */
  pending(now: number): number[] {
    for (const [seq, since] of this.gaps) if (now - since > this.gapTimeoutMs) this.gaps.delete(seq);
    return [...this.gaps.keys()];
  }

  /** Takes the values a poll returned (any order). */
  observe(seqs: readonly number[], now: number): void {
    const sorted = [...seqs].sort((a, b) => a - b);
    for (const seq of sorted) {
      if (seq > this.highest) {
        if (seq - this.highest - 1 <= this.maxTrackedJump) {
          for (let s = this.highest + 1; s < seq; s++) this.gaps.set(s, now);
        }
        this.highest = seq;
      } else {
        this.gaps.delete(seq);
      }
    }
  }

  /**
   * After a full load: start above `high`, treating the `window` values below it that were not
   * seen as gaps (a transaction may still have been writing them while the load ran).
   */
  startAt(high: number, seen: readonly number[], now: number, window = 1000): void {
    this.gaps.clear();
    this.highest = high;
    const present = new Set(seen);
    for (let s = Math.max(1, high - window + 1); s < high; s++) if (!present.has(s)) this.gaps.set(s, now);
  }
}
