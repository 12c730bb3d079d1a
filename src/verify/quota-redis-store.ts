import { createHash } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import type { QuotaStore, Reservation, ReserveResult } from './quota-store';
import type { QuotaWindow } from './quota-windows';

/**
 * KEYS: the windows' counters. ARGV[1]: the amount; then each window's limit; then each
 * window's milliseconds to its reset. Every window is checked first; only when all have room
 * are all incremented, and a counter without an expiry (a new one) gets its window's.
 * Returns {1, count...} with the new counts, or {0, blocked, resetMs, count...} with the
 * current ones, `blocked` (1-based) the refusing window that resets last.
 */
export const RESERVE_SCRIPT = `
local n = #KEYS
local amount = tonumber(ARGV[1])
local counts = {}
local blocked, reset = 0, 0
for i = 1, n do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  counts[i] = count
  if count + amount > tonumber(ARGV[1 + i]) then
    local left = redis.call('PTTL', KEYS[i])
    if left < 0 then left = tonumber(ARGV[1 + n + i]) end
    if blocked == 0 or left > reset then blocked, reset = i, left end
  end
end
if blocked > 0 then
  return {0, blocked, reset, unpack(counts)}
end
for i = 1, n do
  counts[i] = redis.call('INCRBY', KEYS[i], amount)
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[1 + n + i]) end
end
return {1, unpack(counts)}
`;

/**
 * KEYS: a reservation's counters. ARGV[1]: the difference to add. A counter that has expired
 * (its window is over) is not brought back. Returns {found, count} per window: {1, the new
 * count}, or {0, 0} for one that has ended.
 */
export const SETTLE_SCRIPT = `
local reply = {}
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    reply[2 * i - 1], reply[2 * i] = 1, redis.call('INCRBY', KEYS[i], ARGV[1])
  else
    reply[2 * i - 1], reply[2 * i] = 0, 0
  end
end
return reply
`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** Fail fast: a quota check waits at most one command timeout for Redis, never for a reconnect. */
export const REDIS_QUOTA_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  // A command that timed out may have run: never send it again after a reconnect.
  autoResendUnfulfilledCommands: false,
  connectTimeout: 500,
  commandTimeout: 100,
  // On close, how long a socket that never says it closed may keep the process alive.
  disconnectTimeout: 200,
  // Reconnect in the background, every second at the slowest, for as long as it takes.
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1000),
};

export interface RedisQuotaStoreEvents {
  /** The connection is up (first time, or again after a loss). */
  onReady?: () => void;
  /** A connection attempt failed, or the connection had an error. */
  onError?: (err: Error) => void;
  /** The connection closed (lost, or refused while reconnecting). */
  onClose?: () => void;
}

/**
 * Quota counters in Redis, shared by every instance: one round trip per reserve() and per
 * settle(), each one Lua script (EVALSHA of the script loaded with SCRIPT LOAD at connection;
 * EVAL when Redis answers NOSCRIPT, as after a restart, which loads it again). While the
 * connection is down a call fails at once (no offline queue), and a call on a live connection
 * fails after the command timeout: the caller decides what to do instead.
 */
export class RedisQuotaStore implements QuotaStore {
  readonly client: Redis;
  private readonly scripts = {
    reserve: { text: RESERVE_SCRIPT, sha: sha1(RESERVE_SCRIPT) },
    settle: { text: SETTLE_SCRIPT, sha: sha1(SETTLE_SCRIPT) },
  };

  constructor(url: string, events: RedisQuotaStoreEvents = {}, options: RedisOptions = {}) {
    this.client = new Redis(url, { ...REDIS_QUOTA_OPTIONS, ...options });
    this.client.on('ready', () => {
      // Loaded ahead of use, so the first EVALSHA finds it; a failure here only costs an EVAL.
      for (const script of Object.values(this.scripts)) this.client.script('LOAD', script.text).catch(() => undefined);
      events.onReady?.();
    });
    // Without a listener ioredis reports every failed reconnect as an unhandled error event.
    this.client.on('error', (err: Error) => events.onError?.(err));
    this.client.on('close', () => events.onClose?.());
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Connects, at most the connect timeout; false when Redis is not reachable (reconnects go on). */
  async connect(): Promise<boolean> {
    try {
      await this.client.connect();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  async reserve(windows: readonly QuotaWindow[], amount: number): Promise<ReserveResult> {
    const args = [amount, ...windows.map((w) => w.limit), ...windows.map((w) => Math.max(1, Math.ceil(w.ttlMs)))];
    const reply = (await this.run(this.scripts.reserve, windows, args)) as number[];
    if (reply[0] === 1) return { ok: true, counts: reply.slice(1), reservation: { windows, amount, store: this } };
    return { ok: false, blocked: reply[1] - 1, resetMs: reply[2], counts: reply.slice(3) };
  }

  async settle(reservation: Reservation, actualAmount: number): Promise<(number | null)[]> {
    const reply = (await this.run(this.scripts.settle, reservation.windows, [actualAmount - reservation.amount])) as number[];
    return reservation.windows.map((_, i) => (reply[2 * i] === 1 ? reply[2 * i + 1] : null));
  }

  private async run(script: { text: string; sha: string }, windows: readonly QuotaWindow[], args: number[]): Promise<unknown> {
    if (!this.ready) throw new Error(`Redis is not connected (${this.client.status})`);
    const keys = windows.map((w) => w.key);
    try {
      return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!/^NOSCRIPT/.test((err as Error).message)) throw err;
      return this.client.eval(script.text, keys.length, ...keys, ...args);
    }
  }
}
