import type { QuotaWindow } from './quota-windows';

/**
 * What a reserve() took, to settle later: a token budget reserves an estimate before a request
 * and settles the actual amount after it. /verify reserves 1 and never settles.
 */
export interface Reservation {
  readonly windows: readonly QuotaWindow[];
  readonly amount: number;
  /** The store that counted it, which alone can settle it. */
  readonly store: QuotaStore;
}

export type ReserveResult =
  /** Every window had room: each was incremented by the amount; `counts` are the new values. */
  | { readonly ok: true; readonly counts: readonly number[]; readonly reservation: Reservation }
  /**
   * Some window had no room and nothing was counted: `counts` are the current values, `blocked`
   * the index of the refusing window that resets last, `resetMs` the milliseconds until it does.
   */
  | { readonly ok: false; readonly counts: readonly number[]; readonly blocked: number; readonly resetMs: number };

/** Counters in fixed windows, checked and incremented atomically across several windows. */
export interface QuotaStore {
  /** Counts `amount` in every window if each has room for it (count + amount <= limit), else in none. */
  reserve(windows: readonly QuotaWindow[], amount: number): Promise<ReserveResult>;
  /**
   * Adjusts a reservation's windows by `actualAmount - reservation.amount`. A window that has
   * ended since is left alone (null in the result); the others give their new counts.
   */
  settle(reservation: Reservation, actualAmount: number): Promise<(number | null)[]>;
}

interface Counter {
  count: number;
  expiresAt: number;
}

const SWEEP_EVERY_MS = 60_000;

/**
 * The in-process store: without REDIS_URL, and meanwhile when Redis fails under
 * QUOTA_STORE_FAILURE=local. A Map whose entries expire lazily, when next read, and in a sweep
 * at most once a minute (a window's key is not read again once its period is over).
 * Synchronous underneath, so a check is atomic in this process.
 */
export class LocalQuotaStore implements QuotaStore {
  private readonly counters = new Map<string, Counter>();
  private lastSweep = 0;

  constructor(private readonly nowMs: () => number) {}

  /** Windows counted here now (for tests and metrics). */
  get size(): number {
    return this.counters.size;
  }

  reserve(windows: readonly QuotaWindow[], amount: number): Promise<ReserveResult> {
    return Promise.resolve(this.reserveNow(windows, amount));
  }

  settle(reservation: Reservation, actualAmount: number): Promise<(number | null)[]> {
    return Promise.resolve(this.settleNow(reservation, actualAmount));
  }

  reserveNow(windows: readonly QuotaWindow[], amount: number): ReserveResult {
    const now = this.nowMs();
    this.sweep(now);
    const live = windows.map((w) => this.live(w.key, now));
    const counts = live.map((c) => c?.count ?? 0);
    let blocked = -1;
    let resetMs = 0;
    for (let i = 0; i < windows.length; i++) {
      if (counts[i] + amount <= windows[i].limit) continue;
      const left = live[i] ? live[i]!.expiresAt - now : windows[i].ttlMs;
      if (blocked < 0 || left > resetMs) [blocked, resetMs] = [i, left];
    }
    if (blocked >= 0) return { ok: false, counts, blocked, resetMs };
    for (let i = 0; i < windows.length; i++) {
      const counter = live[i];
      if (counter) counter.count += amount;
      else this.counters.set(windows[i].key, { count: amount, expiresAt: now + windows[i].ttlMs });
      counts[i] += amount;
    }
    return { ok: true, counts, reservation: { windows, amount, store: this } };
  }

  settleNow(reservation: Reservation, actualAmount: number): (number | null)[] {
    const now = this.nowMs();
    const delta = actualAmount - reservation.amount;
    return reservation.windows.map((w) => {
      const counter = this.live(w.key, now);
      if (!counter) return null;
      counter.count += delta;
      return counter.count;
    });
  }

  private live(key: string, now: number): Counter | undefined {
    const counter = this.counters.get(key);
    if (counter && counter.expiresAt <= now) {
      this.counters.delete(key);
      return undefined;
    }
    return counter;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS && now >= this.lastSweep) return;
    this.lastSweep = now;
    for (const [key, counter] of this.counters) if (counter.expiresAt <= now) this.counters.delete(key);
  }
}
