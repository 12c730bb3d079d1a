import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/** A key's unexpired hits, as expiry times in ascending order from `head` on. */
class HitLog {
  private times: number[] = [];
  private head = 0;

  get count(): number {
    return this.times.length - this.head;
  }

  /** The earliest expiry, or undefined when there is none. */
  get first(): number | undefined {
    return this.times[this.head];
  }

  add(expiresAt: number): void {
    const times = this.times;
    if (times.length === this.head || times[times.length - 1] <= expiresAt) {
      times.push(expiresAt);
      return;
    }
    // A shorter window than before for the same key (its limit was reconfigured): keep the order.
    let i = times.length;
    while (i > this.head && times[i - 1] > expiresAt) i--;
    times.splice(i, 0, expiresAt);
  }

  /** Drops the hits that expired at or before `now`: each hit is looked at once, when it goes. */
  prune(now: number): void {
    const times = this.times;
    while (this.head < times.length && times[this.head] <= now) this.head++;
    if (this.head === times.length) {
      this.times = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > times.length) {
      this.times = times.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.times = [];
    this.head = 0;
  }
}

interface KeyRecord {
  readonly hits: Map<string, HitLog>;
  expiresAt: number;
  blockExpiresAt: number;
  isBlocked: boolean;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * The throttler's counts in this process: the same sliding log, answers and blocking as
 * @nestjs/throttler's ThrottlerStorageService (a differential spec holds them to it), but a
 * request costs the same whatever the number of hits in the window. The library filters a key's
 * whole log on every request, which was 6% of the event loop's time on refreshes from one IP
 * (issue 12), and grows with the limit: a service behind one proxy needs a high per-IP limit.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly records = new Map<string, KeyRecord>();
  private sweep: NodeJS.Timeout | undefined;

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    this.ensureSweep();
    let record = this.records.get(key);
    if (!record) {
      record = { hits: new Map(), expiresAt: now + ttl, blockExpiresAt: 0, isBlocked: false };
      this.records.set(key, record);
    }
    let hits = record.hits.get(throttlerName);
    if (!hits) {
      hits = new HitLog();
      record.hits.set(throttlerName, hits);
    }
    hits.prune(now);
    let timeToExpire = Math.ceil((record.expiresAt - now) / 1000);
    if (timeToExpire <= 0) {
      record.expiresAt = now + ttl;
      timeToExpire = Math.ceil(ttl / 1000);
    }
    if (blockDuration <= 0) {
      // Refused while the window is full, counting resumes as hits expire (no block period).
      const isBlocked = hits.count >= limit;
      if (!isBlocked) hits.add(now + ttl);
      const first = hits.first;
      return {
        totalHits: hits.count + (isBlocked ? 1 : 0),
        timeToExpire,
        isBlocked,
        timeToBlockExpire: isBlocked ? (first === undefined ? timeToExpire : Math.ceil((first - now) / 1000)) : 0,
      };
    }
    if (!record.isBlocked) hits.add(now + ttl);
    if (hits.count > limit && !record.isBlocked) {
      record.isBlocked = true;
      record.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((record.blockExpiresAt - now) / 1000);
    if (timeToBlockExpire <= 0 && record.isBlocked) {
      // The block is over: the window starts again from this request.
      record.isBlocked = false;
      hits.clear();
      hits.add(now + ttl);
    }
    return { totalHits: hits.count, timeToExpire, isBlocked: record.isBlocked, timeToBlockExpire };
  }

  onApplicationShutdown(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    this.records.clear();
  }

  /** Forgets keys with nothing left to count, as the library does once a minute. */
  evictIdle(now = Date.now()): void {
    for (const [key, record] of this.records) {
      if ((record.isBlocked && record.blockExpiresAt > now) || record.expiresAt > now) continue;
      let live = false;
      for (const hits of record.hits.values()) {
        hits.prune(now);
        if (hits.count) live = true;
      }
      if (!live) this.records.delete(key);
    }
  }

  /** Keys held: for tests. */
  get size(): number {
    return this.records.size;
  }

  private ensureSweep(): void {
    if (this.sweep) return;
    this.sweep = setInterval(() => this.evictIdle(), SWEEP_INTERVAL_MS);
    this.sweep.unref();
  }
}
